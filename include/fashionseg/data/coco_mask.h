#pragma once
/// COCO instance masks: polygons, uncompressed RLE ({"counts": [..]}) and compressed RLE
/// strings (pycocotools' rleToString / rleFrString: LEB128-like, 6 bits per char, chars
/// 48..111, counts from the third on stored as differences to the count two before).
/// COCO counts alternate background/foreground lengths, column-major, starting with
/// background (a mask starting with foreground begins with a 0 count).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fashionseg/core/error.h"
#include "fashionseg/data/rle.h"

namespace fashionseg {

/// Decodes a compressed COCO RLE string into its counts. Throws Error(kInput) at `where`
/// for characters outside 48..111, a truncated last value or a negative count.
std::vector<uint32_t> coco_counts_from_string(std::string_view text, const Location& where = {});

/// Encodes counts as a compressed COCO RLE string, byte for byte as pycocotools does.
std::string coco_counts_to_string(const std::vector<uint32_t>& counts);

/// Converts COCO counts of a height x width mask into foreground runs. Throws Error(kInput)
/// when the counts do not sum to height*width.
std::vector<RleRun> runs_from_coco_counts(const std::vector<uint32_t>& counts, int height,
                                          int width, const Location& where = {});

/// Converts foreground runs of a height x width mask into COCO counts (first count is
/// background, possibly 0; trailing background included so the counts sum to h*w).
std::vector<uint32_t> coco_counts_from_runs(const std::vector<RleRun>& runs, int height, int width);

/// Rasterizes COCO polygons ([x0,y0,x1,y1,...] in pixel coordinates whose pixel i spans
/// [i, i+1)) into foreground runs of a height x width mask; several polygons are united.
/// A pixel is foreground when its centre lies inside (even-odd rule per polygon), which
/// follows pycocotools' rule closely (exact on axis-aligned boxes). Throws Error(kInput) for an odd
/// number of coordinates, fewer than 3 points or non-finite coordinates.
std::vector<RleRun> rasterize_polygons(const std::vector<std::vector<double>>& polygons, int height,
                                       int width, const Location& where = {});

}  // namespace fashionseg
