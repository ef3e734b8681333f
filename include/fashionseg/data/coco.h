#pragma once
/// COCO-style JSON (Fashionpedia): "images" (id, file_name, height, width), "annotations"
/// (image_id, category_id, segmentation as polygons, uncompressed RLE {"size":[h,w],
/// "counts":[...]} or compressed RLE {"size":[h,w],"counts":"..."}, attribute_ids, iscrowd)
/// and "categories" (id, name, supercategory), plus optional "attributes".

#include <filesystem>
#include <memory>

#include "fashionseg/data/annotations.h"
#include "fashionseg/data/image_io.h"

namespace fashionseg {

/// Options of the COCO reader.
struct CocoOptions {
  /// Compare each photo's height/width with its file header.
  bool check_image_sizes = true;
  /// Keep photos that have no annotation (all background). COCO lists them in "images".
  bool keep_unannotated = true;
  /// Photos declared larger than this are refused before any polygon is rasterised.
  int64_t max_pixels = kDefaultMaxPixels;
};

/// Reads a COCO JSON file (whole file: COCO JSON has no streaming structure). Photos are
/// looked up as image_dir / file_name. Structural errors (missing keys, an annotation whose
/// image_id or category_id is unknown, duplicate ids) are thrown here; segmentation errors
/// when the photo is loaded. Errors name the file and "annotation <id> (image <file_name>)".
std::unique_ptr<DatasetSource> open_coco(const std::filesystem::path& json_path,
                                         const std::filesystem::path& image_dir,
                                         CocoOptions options = {});

}  // namespace fashionseg
