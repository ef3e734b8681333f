#pragma once
/// Kaggle run-length encoding (iMaterialist train.csv): "start length start length ...",
/// starts 1-based, pixels numbered column-major (top to bottom, then left to right).
/// Runs are kept 0-based and column-major everywhere inside fashionseg (RleRun); COCO RLE
/// uses the same pixel order, so both formats share this representation.

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fashionseg/core/error.h"

namespace fashionseg {

/// One run of foreground pixels: `length` pixels from 0-based column-major index `start`.
struct RleRun {
  uint32_t start = 0;
  uint32_t length = 0;
  bool operator==(const RleRun& other) const {
    return start == other.start && length == other.length;
  }
};

/// Parses a Kaggle RLE string for a height x width image into 0-based runs. Empty text (or
/// only spaces) is an empty mask. Throws Error(kInput) at `where` for a non-numeric field, an
/// odd number of fields, a zero length, a zero start, a run past the image, or runs that
/// overlap or are not in increasing order.
std::vector<RleRun> parse_kaggle_rle(std::string_view text, int height, int width,
                                     const Location& where);

/// The hot path: parses and paints in one pass. Sets every pixel of the runs to `value` in
/// `column_major` (height*width bytes, index = x*height + y), leaving other pixels alone.
/// Returns the number of pixels painted. Same validation and errors as parse_kaggle_rle;
/// on error the buffer may hold the runs painted before the bad field.
size_t decode_kaggle_rle_into(std::string_view text, int height, int width, uint8_t value,
                              uint8_t* column_major, const Location& where);

/// Decodes to a row-major binary mask (CV_8UC1, height x width, 1 = foreground).
cv::Mat decode_kaggle_rle(std::string_view text, int height, int width, const Location& where = {});

/// Encodes runs as Kaggle RLE text (1-based starts, single spaces, no trailing space).
std::string format_kaggle_rle(const std::vector<RleRun>& runs);

/// Encodes a row-major mask (CV_8UC1; nonzero = foreground) as Kaggle RLE text.
std::string encode_kaggle_rle(const cv::Mat& mask);

/// The foreground runs of a row-major mask (CV_8UC1; nonzero = foreground), column-major.
std::vector<RleRun> mask_to_runs(const cv::Mat& mask);

/// Paints runs into a row-major height x width mask (CV_8UC1) with `value`.
void paint_runs(const std::vector<RleRun>& runs, uint8_t value, cv::Mat& mask);

/// Total pixels covered by the runs.
size_t run_area(const std::vector<RleRun>& runs);

}  // namespace fashionseg
