#pragma once
/// The result of segmenting one photo, as the inference engine (torch/segmenter.h) returns it
/// and the service (serve/serve.h) answers with it: plain OpenCV and standard types, so the
/// torch-free libraries can hold one.

#include <opencv2/core.hpp>

#include <vector>

#include "fashionseg/data/found_categories.h"

namespace fashionseg {

/// The result for one photo (what each field holds depends on SegmenterOptions).
struct Segmentation {
  cv::Mat labels;                         ///< CV_8UC1 class ids, the photo's size
  std::vector<FoundCategory> categories;  ///< largest first, under the options' area rule
  std::vector<MaskPiece> pieces;          ///< the categories' pieces, when asked for
  cv::Mat confidence;                     ///< CV_32FC1 in [0, 1], when asked for
  /// float32, 3 dimensions [classes, box height, box width], when asked for: what the model
  /// returns for the photo fitted into its box and padded, no test-time augmentation.
  cv::Mat input_logits;
  /// The category head's logits for the photo, one per class, averaged over the same flips,
  /// scales and windows as the mask; empty when the model has no category head.
  std::vector<double> head_logits;
};

}  // namespace fashionseg
