#pragma once
/// Writing one transformed sample into its row of preallocated batch tensors.

#include <torch/types.h>

#include <opencv2/core.hpp>

#include "fashionseg/torch/tensor_image.h"

namespace fashionseg {

/// Writes the normalised image into images[row] (float [B,3,H,W], contiguous NCHW or
/// channels-last), without intermediate buffers.
void write_image_row(const cv::Mat& rgb, const Normalization& norm, torch::Tensor& images,
                     int64_t row);

/// Writes the labels into masks[row] (int64 [B,H,W], contiguous).
void write_mask_row(const cv::Mat& mask, torch::Tensor& masks, int64_t row);

}  // namespace fashionseg
