#pragma once
// Building blocks shared by the architectures: convolution and batch-norm factories with
// PyTorch's defaults, torchvision's weight initialisation, resizing and padding helpers.

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "fashionseg/torch/model.h"
#include "models/foldable_batch_norm.h"

namespace fashionseg::models {

/// A Sequential with a plain Tensor -> Tensor forward, so it can itself sit inside another
/// Sequential (LibTorch's own Sequential cannot: its forward is a template). Children are
/// named "0", "1", ... like torch.nn.Sequential's.
class SequentialBlockImpl : public torch::nn::SequentialImpl {
 public:
  using SequentialImpl::SequentialImpl;
  torch::Tensor forward(torch::Tensor x) { return SequentialImpl::forward(std::move(x)); }
};
TORCH_MODULE(SequentialBlock);

/// A 2-D convolution with square kernel; PyTorch's default (kaiming-uniform) initialisation.
torch::nn::Conv2d conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel,
                         int64_t stride = 1, int64_t padding = 0, int64_t dilation = 1,
                         bool bias = true, int64_t groups = 1);

/// BatchNorm2d with the given eps and momentum (PyTorch's defaults: 1e-5, 0.1).
FoldableBatchNorm2d batch_norm(int64_t channels, double eps = 1e-5, double momentum = 0.1);

/// torchvision's backbone initialisation: every Conv2d below `module` gets kaiming-normal
/// weights (fan_out, ReLU gain) and zero bias; every BatchNorm2d weight 1 and bias 0.
void init_kaiming_fan_out(torch::nn::Module& module);

/// Bilinear resize (align_corners = false, like torchvision's F.interpolate) to height x width,
/// in x's type, differentiable. Channels-last float and bf16 CPU tensors (every model's
/// logits on the CPU path) take fashionseg's own kernel (bilinear_kernel.h: the same values
/// up to float rounding; bf16 rounded once where LibTorch rounds along the way) with
/// LibTorch's gradient; other tensors F::interpolate itself.
torch::Tensor resize_bilinear(const torch::Tensor& x, int64_t height, int64_t width);

/// `up`'s output for `x` when `up` is a 2x2 transposed convolution with stride 2 (U-Net's
/// up-convolution), computed as what it equals: a 1x1 convolution to 4 x C_out channels, one per
/// output pixel of each 2x2 block, then pixel_shuffle(2). The same parameters and gradients, the
/// same values up to float rounding; but a 1x1 convolution runs on oneDNN (in bf16 under
/// autocast), where LibTorch 1.13 computes a transposed convolution with its slow reference
/// kernel and outside autocast's bf16 list (measured: U-Net 1.8x faster, bench/RESULTS.md).
/// Any other transposed convolution runs as up->forward(x).
torch::Tensor transposed_conv_2x2(torch::nn::ConvTranspose2dImpl& up, const torch::Tensor& x);

/// Zero-pads [B,C,H,W] at the bottom and right so H and W become multiples of `multiple`
/// (zero = the mean colour after ImageNet normalisation). Returns `x` itself when aligned.
torch::Tensor pad_to_multiple(const torch::Tensor& x, int64_t multiple);

/// The top-left height x width window of [B,C,H,W] (undoes pad_to_multiple).
torch::Tensor crop_to(const torch::Tensor& x, int64_t height, int64_t width);

/// Throws a configuration error naming `model` unless `images` is float [B,3,H,W], H,W >= 1.
void check_input(const torch::Tensor& images, const char* model);

/// Throws a configuration error naming `model` when options shared by all models are out of
/// range (num_classes >= 1, width_multiplier > 0, base_width >= 1, dropout < 1).
void check_common_options(const ModelOptions& options, const char* model);

/// Channel count scaled by `multiplier`, at least 1.
int64_t scaled_channels(int64_t channels, double multiplier);

}  // namespace fashionseg::models
