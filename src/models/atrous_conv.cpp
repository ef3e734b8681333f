#include "models/atrous_conv.h"

#include <ATen/autocast_mode.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "fashionseg/torch/flops.h"

namespace fashionseg::models {
namespace {

constexpr double kMaxInBoundsShare = 0.6;

// Output rows [begin, end) where a tap offset by `offset` reads inside a map of `size`.
struct Span {
  int64_t begin = 0;
  int64_t end = 0;
  bool empty() const { return begin >= end; }
};

Span valid_outputs(int64_t size, int64_t offset) {
  return {std::max<int64_t>(0, -offset), std::min<int64_t>(size, size - offset)};
}

double in_bounds_share_1d(int64_t size, int64_t kernel, int64_t dilation) {
  int64_t inside = 0;
  for (int64_t tap = 0; tap < kernel; ++tap) {
    const Span span = valid_outputs(size, (tap - kernel / 2) * dilation);
    if (!span.empty()) inside += span.end - span.begin;
  }
  return static_cast<double>(inside) / static_cast<double>(kernel * size);
}

bool is_same_padded_stride1(const torch::nn::Conv2dImpl& conv) {
  const auto& o = conv.options;
  const auto kernel = (*o.kernel_size())[0];
  const auto dilation = (*o.dilation())[0];
  const auto* padding = c10::get_if<torch::ExpandingArray<2>>(&o.padding());
  return (*o.kernel_size())[1] == kernel && kernel % 2 == 1 && (*o.stride())[0] == 1 &&
         (*o.stride())[1] == 1 && (*o.dilation())[1] == dilation && o.groups() == 1 &&
         padding != nullptr && (**padding)[0] == dilation * (kernel / 2) &&
         (**padding)[1] == dilation * (kernel / 2) &&
         c10::get_if<torch::enumtype::kZeros>(&o.padding_mode()) != nullptr;
}

}  // namespace

double in_bounds_share(int64_t height, int64_t width, int64_t kernel, int64_t dilation) {
  return in_bounds_share_1d(height, kernel, dilation) * in_bounds_share_1d(width, kernel, dilation);
}

torch::Tensor conv2d_in_bounds_taps(const torch::Tensor& x, const torch::nn::Conv2dImpl& conv) {
  if (!is_same_padded_stride1(conv) || x.dim() != 4) {
    throw std::logic_error(
        "conv2d_in_bounds_taps: needs a stride-1, ungrouped, zero-padded 'same' convolution "
        "with an odd square kernel and a [B,C,H,W] input");
  }
  const int64_t kernel = (*conv.options.kernel_size())[0];
  const int64_t dilation = (*conv.options.dilation())[0];
  const int64_t batch = x.size(0), channels = x.size(1), height = x.size(2), width = x.size(3);
  const int64_t centre = kernel / 2;
  // The centre tap reads inside everywhere: its product is the whole output, and every
  // other tap adds to the window of outputs where it reads inside.
  const auto tap_product = [&](int64_t ky, int64_t kx, const Span& rows, const Span& cols) {
    const auto window =
        x.slice(2, rows.begin + (ky - centre) * dilation, rows.end + (ky - centre) * dilation)
            .slice(3, cols.begin + (kx - centre) * dilation, cols.end + (kx - centre) * dilation)
            .reshape({batch, channels, -1});
    const auto weight = conv.weight.select(3, kx).select(2, ky);  // [out, in]
    return torch::matmul(weight, window)
        .view({batch, -1, rows.end - rows.begin, cols.end - cols.begin});
  };
  torch::Tensor out = tap_product(centre, centre, {0, height}, {0, width});
  for (int64_t ky = 0; ky < kernel; ++ky) {
    const Span rows = valid_outputs(height, (ky - centre) * dilation);
    if (rows.empty()) continue;
    for (int64_t kx = 0; kx < kernel; ++kx) {
      if (ky == centre && kx == centre) continue;
      const Span cols = valid_outputs(width, (kx - centre) * dilation);
      if (cols.empty()) continue;
      out.slice(2, rows.begin, rows.end).slice(3, cols.begin, cols.end) +=
          tap_product(ky, kx, rows, cols);
    }
  }
  if (conv.bias.defined()) out += conv.bias.view({1, -1, 1, 1});
  return out;
}

torch::Tensor atrous_conv_forward(const torch::Tensor& x, torch::nn::Conv2dImpl& conv) {
  // Under bf16 autocast oneDNN's own NHWC convolution wins: the tap-by-tap products made
  // deeplabv3_resnet50 at 512 x 512 take 990 ms instead of 850 (1 thread, bench/RESULTS.md).
  if (!counting_macs() && !at::autocast::is_cpu_enabled() && x.dim() == 4 &&
      is_same_padded_stride1(conv) &&
      in_bounds_share(x.size(2), x.size(3), (*conv.options.kernel_size())[0],
                      (*conv.options.dilation())[0]) <= kMaxInBoundsShare) {
    return conv2d_in_bounds_taps(x, conv);
  }
  return conv.forward(x);
}

}  // namespace fashionseg::models
