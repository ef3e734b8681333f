#include "fashionseg/data/metrics_json.h"

#include <cmath>

namespace fashionseg {
namespace {

nlohmann::json number(double value) {
  return std::isnan(value) ? nlohmann::json(nullptr) : nlohmann::json(value);
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

const char* const kSummaryKeys[] = {"mean_iou",
                                    "mean_iou_truth",
                                    "foreground_iou",
                                    "pixel_accuracy",
                                    "mean_class_accuracy",
                                    "fw_iou",
                                    "mean_dice",
                                    "category_precision",
                                    "category_recall",
                                    "category_f1",
                                    "images",
                                    "tag_category_precision",
                                    "tag_category_recall",
                                    "tag_category_f1",
                                    "tag_images"};

}  // namespace

nlohmann::json metrics_to_json(const ConfusionMatrix& matrix, const CategoryDetection& categories,
                               const std::vector<std::string>& class_names) {
  const SegmentationMetrics m = compute_metrics(matrix);
  const CategoryDetection::Scores s = categories.scores();
  nlohmann::json out = {{"mean_iou", number(m.mean_iou)},
                        {"mean_iou_truth", number(m.mean_iou_truth)},
                        {"foreground_iou", number(m.foreground_iou)},
                        {"pixel_accuracy", number(m.pixel_accuracy)},
                        {"mean_class_accuracy", number(m.mean_class_accuracy)},
                        {"fw_iou", number(m.frequency_weighted_iou)},
                        {"mean_dice", number(m.mean_dice)},
                        {"category_precision", number(s.micro_precision)},
                        {"category_recall", number(s.micro_recall)},
                        {"category_f1", number(s.micro_f1)},
                        {"images", s.images}};
  nlohmann::json classes = nlohmann::json::array();
  for (int k = 0; k < matrix.num_classes(); ++k) {
    const std::string name =
        k < static_cast<int>(class_names.size()) ? class_names[k] : "class_" + std::to_string(k);
    classes.push_back({{"value", k},
                       {"name", name},
                       {"iou", number(m.iou[k])},
                       {"dice", number(m.dice[k])},
                       {"accuracy", number(m.class_accuracy[k])},
                       {"truth_pixels", m.truth_pixels[k]},
                       {"category_precision", number(s.precision[k])},
                       {"category_recall", number(s.recall[k])},
                       {"category_f1", number(s.f1[k])}});
  }
  out["classes"] = classes;
  nlohmann::json rows = nlohmann::json::array();
  for (int t = 0; t < matrix.num_classes(); ++t) {
    nlohmann::json row = nlohmann::json::array();
    for (int p = 0; p < matrix.num_classes(); ++p) row.push_back(matrix.at(t, p));
    rows.push_back(row);
  }
  out["confusion_matrix"] = rows;
  return out;
}

nlohmann::json category_scores_json(const CategoryDetection& categories,
                                    const std::vector<std::string>& class_names) {
  const CategoryDetection::Scores s = categories.scores();
  nlohmann::json classes = nlohmann::json::array();
  for (size_t k = 1; k < s.f1.size(); ++k) {
    classes.push_back(
        {{"value", k},
         {"name", k < class_names.size() ? class_names[k] : "class_" + std::to_string(k)},
         {"precision", number(s.precision[k])},
         {"recall", number(s.recall[k])},
         {"f1", number(s.f1[k])},
         {"true_positives", s.true_positives[k]},
         {"false_positives", s.false_positives[k]},
         {"false_negatives", s.false_negatives[k]}});
  }
  return {{"precision", number(s.micro_precision)},
          {"recall", number(s.micro_recall)},
          {"f1", number(s.micro_f1)},
          {"images", s.images},
          {"classes", classes}};
}

void add_tag_scores(nlohmann::json& metrics, const CategoryDetection& tag_categories,
                    const std::vector<std::string>& class_names) {
  nlohmann::json scores = category_scores_json(tag_categories, class_names);
  metrics["tag_category_precision"] = scores["precision"];
  metrics["tag_category_recall"] = scores["recall"];
  metrics["tag_category_f1"] = scores["f1"];
  metrics["tag_images"] = scores["images"];
  metrics["tag_categories"] = std::move(scores);
}

nlohmann::json metrics_summary_json(const nlohmann::json& metrics) {
  nlohmann::json summary = nlohmann::json::object();
  for (const char* key : kSummaryKeys) {
    if (metrics.contains(key)) summary[key] = metrics.at(key);
  }
  return summary;
}

std::string confusion_matrix_csv(const ConfusionMatrix& matrix,
                                 const std::vector<std::string>& class_names) {
  auto name = [&](int k) {
    return k < static_cast<int>(class_names.size()) ? class_names[k] : "class_" + std::to_string(k);
  };
  std::string csv = "truth\\predicted";
  for (int p = 0; p < matrix.num_classes(); ++p) csv += "," + csv_field(name(p));
  csv += "\n";
  for (int t = 0; t < matrix.num_classes(); ++t) {
    csv += csv_field(name(t));
    for (int p = 0; p < matrix.num_classes(); ++p) csv += "," + std::to_string(matrix.at(t, p));
    csv += "\n";
  }
  return csv;
}

}  // namespace fashionseg
