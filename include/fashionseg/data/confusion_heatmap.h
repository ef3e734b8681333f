#pragma once
/// A picture of a confusion matrix: rows (ground truth) normalised to 1, a colour scale, class
/// names on both axes. Classes absent from truth and prediction are left out.

#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "fashionseg/data/metrics.h"

namespace fashionseg {

/// Draws the heatmap as an 8-bit RGB image.
cv::Mat draw_confusion_heatmap(const ConfusionMatrix& matrix,
                               const std::vector<std::string>& class_names);

}  // namespace fashionseg
