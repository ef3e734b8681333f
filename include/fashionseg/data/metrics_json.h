#pragma once
/// Metrics as JSON, the format of `fashionseg evaluate`, best_metrics.json and the training
/// log. Undefined values (NaN: classes absent from truth and prediction) are written as null.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fashionseg/data/metrics.h"

namespace fashionseg {

/// Every metric: the summary numbers, then "classes": one object per class with name, IoU,
/// Dice, accuracy, truth pixels and category precision/recall/F1, then "confusion_matrix".
nlohmann::json metrics_to_json(const ConfusionMatrix& matrix, const CategoryDetection& categories,
                               const std::vector<std::string>& class_names);

/// Category scores alone: "precision", "recall", "f1" (micro-averaged), "images", and
/// "classes": per class value, name, precision, recall, f1, true/false positives and false
/// negatives. evaluate writes it for tag-only photos.
nlohmann::json category_scores_json(const CategoryDetection& categories,
                                    const std::vector<std::string>& class_names);

/// Adds the tag-only photos' scores to metrics_to_json's output: "tag_category_precision",
/// "tag_category_recall", "tag_category_f1", "tag_images" (summary numbers) and
/// "tag_categories" (category_scores_json).
void add_tag_scores(nlohmann::json& metrics, const CategoryDetection& tag_categories,
                    const std::vector<std::string>& class_names);

/// The headline numbers of metrics_to_json's output (mean_iou, mean_iou_truth,
/// foreground_iou, pixel_accuracy, mean_class_accuracy, fw_iou, category_f1, ...).
nlohmann::json metrics_summary_json(const nlohmann::json& metrics);

/// The confusion matrix as CSV: a header row of predicted class names, then one row per
/// ground-truth class.
std::string confusion_matrix_csv(const ConfusionMatrix& matrix,
                                 const std::vector<std::string>& class_names);

}  // namespace fashionseg
