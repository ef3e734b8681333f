#pragma once
/// Predictions in the formats other tools read: the categories found as JSON records (predict's
/// per-photo JSON, serve's answer), an iMaterialist (Kaggle) submission CSV and COCO results
/// JSON with compressed RLE, one record per connected piece of a category.

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "fashionseg/data/found_categories.h"

namespace fashionseg {

/// "#rrggbb" of a label value in the palette of render.h (label_color).
std::string label_color_hex(int label);

/// A category's dominant colours as JSON records: name (palette), hex ("#rrggbb"), lab
/// [L, a, b] (two decimals) and share (four decimals).
nlohmann::json colors_json(const std::vector<GarmentColor>& colors);

/// The categories as JSON records, in order: id, name, share, pixels, box [x, y, w, h],
/// instances, color (label_color_hex: the mask's colour for the class) and, when it has
/// them, colors (colors_json: the garment's own colours).
nlohmann::json categories_json(const std::vector<FoundCategory>& categories);

/// The iMaterialist category id of each model class, found by name in the 46 iMaterialist
/// 2019/2020 categories (e.g. "shoe" -> 23); -1 for background and for classes with no
/// iMaterialist counterpart (their pieces are left out of a submission).
std::vector<int> imaterialist_category_ids(const std::vector<std::string>& class_names);

/// The submission's header line, "ImageId,EncodedPixels,ClassId\n".
std::string imaterialist_submission_header();

/// One CSV row per piece, "ImageId,EncodedPixels,ClassId\n", EncodedPixels in Kaggle RLE
/// (column-major, 1-based). Pieces whose class has no category id are skipped. The pieces
/// of one argmax mask never overlap, as the competition requires.
std::string imaterialist_submission_rows(const std::string& image_id,
                                         const std::vector<MaskPiece>& pieces,
                                         const std::vector<int>& category_ids);

/// COCO results entries for one photo: {"image_id", "category_id" (the label value),
/// "segmentation": {"size": [h, w], "counts": compressed RLE}, "bbox": [x, y, w, h],
/// "area", "score"}. `score` is the mean of `confidence` (CV_32FC1, photo size, the winning
/// class's probability) over the piece, or 1 when `confidence` is empty.
nlohmann::json coco_result_entries(const nlohmann::json& image_id,
                                   const std::vector<MaskPiece>& pieces, const cv::Mat& confidence);

}  // namespace fashionseg
