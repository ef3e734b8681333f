#include "fashionseg/data/prediction_formats.h"

#include <cmath>
#include <cstdio>

#include "fashionseg/data/coco_mask.h"
#include "fashionseg/data/imaterialist.h"
#include "fashionseg/data/render.h"
#include "fashionseg/data/rle.h"

namespace fashionseg {

std::string label_color_hex(int label) {
  const auto rgb = label_color(label);
  char text[8];
  std::snprintf(text, sizeof(text), "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
  return text;
}

nlohmann::json colors_json(const std::vector<GarmentColor>& colors) {
  // Two decimals of L*a*b* are far below a visible difference; they keep the answer short.
  auto rounded = [](double v) { return std::round(v * 100.0) / 100.0; };
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : colors) {
    list.push_back({{"name", c.name},
                    {"hex", c.hex},
                    {"lab", {rounded(c.lab.L), rounded(c.lab.a), rounded(c.lab.b)}},
                    {"share", std::round(c.share * 1e4) / 1e4}});
  }
  return list;
}

nlohmann::json categories_json(const std::vector<FoundCategory>& categories) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : categories) {
    nlohmann::json record = {{"id", c.id},
                             {"name", c.name},
                             {"share", c.share},
                             {"pixels", c.pixels},
                             {"box", {c.box.x, c.box.y, c.box.width, c.box.height}},
                             {"instances", c.instances},
                             {"confidence", std::round(c.confidence * 1e4) / 1e4},
                             {"color", label_color_hex(c.id)}};
    if (!c.colors.empty()) record["colors"] = colors_json(c.colors);
    list.push_back(std::move(record));
  }
  return list;
}

std::vector<int> imaterialist_category_ids(const std::vector<std::string>& class_names) {
  std::vector<int> ids(class_names.size(), -1);
  for (size_t i = 1; i < class_names.size(); ++i) {
    for (const auto& category : imaterialist_categories()) {
      if (category.name == class_names[i]) ids[i] = category.id;
    }
  }
  return ids;
}

std::string imaterialist_submission_header() { return "ImageId,EncodedPixels,ClassId\n"; }

std::string imaterialist_submission_rows(const std::string& image_id,
                                         const std::vector<MaskPiece>& pieces,
                                         const std::vector<int>& category_ids) {
  std::string rows;
  for (const auto& piece : pieces) {
    if (piece.id < 0 || static_cast<size_t>(piece.id) >= category_ids.size()) continue;
    const int category = category_ids[piece.id];
    if (category < 0) continue;
    rows += image_id + "," + encode_kaggle_rle(piece.mask) + "," + std::to_string(category) + "\n";
  }
  return rows;
}

nlohmann::json coco_result_entries(const nlohmann::json& image_id,
                                   const std::vector<MaskPiece>& pieces,
                                   const cv::Mat& confidence) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& piece : pieces) {
    const int height = piece.mask.rows, width = piece.mask.cols;
    const std::vector<uint32_t> counts =
        coco_counts_from_runs(mask_to_runs(piece.mask), height, width);
    double score = 1.0;
    if (!confidence.empty()) score = cv::mean(confidence, piece.mask)[0];
    entries.push_back(
        {{"image_id", image_id},
         {"category_id", piece.id},
         {"segmentation", {{"size", {height, width}}, {"counts", coco_counts_to_string(counts)}}},
         {"bbox", {piece.box.x, piece.box.y, piece.box.width, piece.box.height}},
         {"area", piece.pixels},
         {"score", score}});
  }
  return entries;
}

}  // namespace fashionseg
