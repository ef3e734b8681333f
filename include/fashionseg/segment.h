#pragma once
/// Segmenting one photo with a loaded model: resize to the model's input box (aspect kept),
/// pad, run, cut the padding off, resize the logits back to the photo's size, argmax.

#include <torch/types.h>

#include <opencv2/core.hpp>

#include "fashionseg/checkpoint.h"
#include "fashionseg/model.h"

namespace fashionseg {

/// How to segment.
struct SegmentOptions {
  bool flip_tta = false;               ///< average with the mirrored photo's logits
  torch::Device device = torch::kCPU;  ///< where the model runs
};

/// Logits [C, H, W] at the photo's original size for an 8-bit RGB photo.
torch::Tensor segment_logits(SegmentationModel& model, const cv::Mat& rgb,
                             const Preprocessing& preprocessing,
                             const SegmentOptions& options = {});

/// The label mask (CV_8UC1, the photo's size) for an 8-bit RGB photo.
cv::Mat segment_image(SegmentationModel& model, const cv::Mat& rgb,
                      const Preprocessing& preprocessing, const SegmentOptions& options = {});

}  // namespace fashionseg
