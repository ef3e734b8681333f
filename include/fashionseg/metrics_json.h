#pragma once
/// Metrics as JSON, the format of `fashionseg evaluate`, best_metrics.json and the training
/// log. Undefined values (NaN: classes absent from truth and prediction) are written as null.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fashionseg/metrics.h"

namespace fashionseg {

/// Every metric: the summary numbers, then "classes": one object per class with name, IoU,
/// Dice, accuracy, truth pixels and category precision/recall/F1, then "confusion_matrix".
nlohmann::json metrics_to_json(const ConfusionMatrix& matrix, const CategoryDetection& categories,
                               const std::vector<std::string>& class_names);

/// The headline numbers of metrics_to_json's output (mean_iou, mean_iou_truth,
/// foreground_iou, pixel_accuracy, mean_class_accuracy, fw_iou, category_f1, ...).
nlohmann::json metrics_summary_json(const nlohmann::json& metrics);

/// The confusion matrix as CSV: a header row of predicted class names, then one row per
/// ground-truth class.
std::string confusion_matrix_csv(const ConfusionMatrix& matrix,
                                 const std::vector<std::string>& class_names);

}  // namespace fashionseg
