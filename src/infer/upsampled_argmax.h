#pragma once
// The last step of inference: which class wins each pixel of the photo. Logits come out of the
// model at its resolution; the photo is larger. Resizing the logits to the photo first (C floats
// per photo pixel: 49 MB for 27 classes on a 550 x 832 photo) and then taking the argmax costs
// more than the model itself on the CPU; here each output row's logits are interpolated and
// compared at once, in a buffer of one row.

#include <torch/types.h>

#include <opencv2/core.hpp>

namespace fashionseg {

/// Which pixels get the winning class's probability (softmax over the classes, its maximum).
enum class WinnerProbability {
  kNone,        ///< none: labels only
  kForeground,  ///< pixels whose winner is not class 0 (background); 0 elsewhere
  kAll,         ///< every pixel
};

/// The labels of logits resized to a size, and the winners' probabilities.
struct UpsampledArgmax {
  cv::Mat labels;       ///< CV_8UC1: the class with the largest logit (the lowest one on ties)
  cv::Mat probability;  ///< CV_32FC1 (empty with kNone): the winner's softmax probability
};

/// argmax over classes of `logits` ([C, h, w], float, on the CPU, unit stride along w, C <=
/// 256) resized bilinearly to `size` exactly as F::interpolate(bilinear, align_corners=false)
/// resizes (same taps and weights; the sums may round differently in the last bit), without
/// keeping the resized logits. With `size` equal to the logits' size it is the plain argmax.
/// Runs on LibTorch's intra-op threads. Throws std::invalid_argument for other tensors.
UpsampledArgmax upsampled_argmax(const torch::Tensor& logits, cv::Size size,
                                 WinnerProbability which);

}  // namespace fashionseg
