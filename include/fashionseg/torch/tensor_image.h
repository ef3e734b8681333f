#pragma once
/// Conversions between OpenCV images and LibTorch tensors with the project's conventions:
/// images RGB, float in [0,1], then normalised with the model's mean/std; masks int64 labels.

#include <torch/types.h>

#include <array>
#include <opencv2/core.hpp>

namespace fashionseg {

/// Per-channel normalisation applied to RGB images scaled to [0,1].
struct Normalization {
  std::array<float, 3> mean{0.485f, 0.456f, 0.406f};  ///< ImageNet mean (RGB)
  std::array<float, 3> std{0.229f, 0.224f, 0.225f};   ///< ImageNet std (RGB)
};

/// Converts an 8-bit RGB image (CV_8UC3, HxW) to a float tensor [3,H,W], normalised.
/// Throws Error(kInput) for other image types.
torch::Tensor image_to_tensor(const cv::Mat& rgb, const Normalization& norm = {});

/// Writes the normalised float tensor of an RGB image into `out` ([3,H,W], contiguous,
/// float32), without intermediate buffers (for batch collation).
void image_to_tensor_into(const cv::Mat& rgb, const Normalization& norm, torch::Tensor out);

/// Converts an 8-bit label mask (CV_8UC1, HxW) to an int64 tensor [H,W].
torch::Tensor mask_to_tensor(const cv::Mat& mask);

/// Converts an int tensor of labels [H,W] (any integer dtype, values 0..255) to CV_8UC1.
cv::Mat tensor_to_mask(const torch::Tensor& labels);

}  // namespace fashionseg
