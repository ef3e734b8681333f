#pragma once
// Dilated "same" convolutions that skip the kernel taps reading only zero padding. DeepLab's
// ASPP applies 3x3 convolutions dilated by 12, 24 and 36 to feature maps of 24 to 64 pixels:
// there most taps of the larger rates fall in the padding for most output positions (at
// 36 x 24, every tap but the centre of rate 36), and a convolution kernel multiplies those
// zeros anyway. One matrix product per tap, over only the outputs where that tap reads
// inside the map, gives the same result with a fraction of the work.

#include <torch/torch.h>

#include <cstdint>

namespace fashionseg::models {

/// The share of a stride-1 "same" convolution's multiply-adds (square kernel, dilation,
/// padding = dilation * (kernel - 1) / 2) whose input lies inside a height x width map:
/// 1 when no tap reaches the padding, 1 / kernel^2 when only the centre stays inside.
double in_bounds_share(int64_t height, int64_t width, int64_t kernel, int64_t dilation);

/// conv(x) for a stride-1, ungrouped, square-kernel convolution with "same" zero padding
/// (odd kernel), computed tap by tap as matrix products over only the output positions where
/// that tap reads inside x; equal to conv's own forward up to float summation order, and
/// differentiable. Uses conv's bias when it has one (also a folded BatchNorm's). Throws
/// std::logic_error for any other convolution.
torch::Tensor conv2d_in_bounds_taps(const torch::Tensor& x, const torch::nn::Conv2dImpl& conv);

/// conv(x): conv2d_in_bounds_taps when at most 60% of the work lies inside the map (measured
/// on this project's CPUs: 0.6x the time of the convolution at 56%, 0.1x at 11%, no gain at
/// 77%), conv's own forward otherwise, for every convolution it does not apply to, under
/// bf16 autocast, and while counting multiply-adds (counting_macs() in flops.h: counts stay
/// nominal).
torch::Tensor atrous_conv_forward(const torch::Tensor& x, torch::nn::Conv2dImpl& conv);

}  // namespace fashionseg::models
