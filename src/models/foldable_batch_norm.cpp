#include "models/foldable_batch_norm.h"

#include <stdexcept>
#include <string>
#include <vector>

namespace fashionseg::models {

FoldableBatchNorm2dImpl::FoldableBatchNorm2dImpl(const torch::nn::BatchNorm2dOptions& options_)
    : options(options_) {
  FoldableBatchNorm2dImpl::reset();
}

void FoldableBatchNorm2dImpl::reset() {
  const int64_t channels = options.num_features();
  if (options.affine()) {
    weight = register_parameter("weight", torch::ones({channels}));
    bias = register_parameter("bias", torch::zeros({channels}));
  } else {
    weight = register_parameter("weight", torch::Tensor(), /*requires_grad=*/false);
    bias = register_parameter("bias", torch::Tensor(), /*requires_grad=*/false);
  }
  if (options.track_running_stats()) {
    running_mean = register_buffer("running_mean", torch::zeros({channels}));
    running_var = register_buffer("running_var", torch::ones({channels}));
    num_batches_tracked = register_buffer("num_batches_tracked", torch::zeros({}, torch::kLong));
  } else {
    running_mean = register_buffer("running_mean", torch::Tensor());
    running_var = register_buffer("running_var", torch::Tensor());
    num_batches_tracked = register_buffer("num_batches_tracked", torch::Tensor());
  }
  folded_ = false;
}

torch::Tensor FoldableBatchNorm2dImpl::forward(const torch::Tensor& input) {
  if (folded_) return input;
  TORCH_CHECK(input.dim() == 4, "FoldableBatchNorm2d: expected 4-D input, got ", input.dim(), "-D");
  // As torch::nn::BatchNorm2d: momentum, or a cumulative average when momentum is unset.
  double average_factor = options.momentum().value_or(0.0);
  if (is_training() && options.track_running_stats() && num_batches_tracked.defined()) {
    num_batches_tracked += 1;
    if (!options.momentum()) average_factor = 1.0 / num_batches_tracked.item<double>();
  }
  return torch::batch_norm(input, weight, bias, running_mean, running_var,
                           is_training() || !options.track_running_stats(), average_factor,
                           options.eps(), /*cudnn_enabled=*/true);
}

void FoldableBatchNorm2dImpl::fold_into(torch::nn::Conv2dImpl& conv) {
  if (folded_) throw std::logic_error("fold_into: this BatchNorm2d is already folded");
  if (is_training()) throw std::logic_error("fold_into: BatchNorm2d is in training mode");
  if (!options.track_running_stats()) {
    throw std::logic_error("fold_into: BatchNorm2d without running statistics");
  }
  if (conv.weight.size(0) != options.num_features()) {
    throw std::logic_error("fold_into: convolution has " + std::to_string(conv.weight.size(0)) +
                           " output channels, BatchNorm2d " +
                           std::to_string(options.num_features()));
  }
  torch::NoGradGuard no_grad;
  // BN(y) = (y - mean) * scale + beta with scale = gamma / sqrt(var + eps); y = W*x + b, so
  // W' = W * scale (per output channel) and b' = (b - mean) * scale + beta. In double, so
  // folding adds no rounding beyond the final conversion.
  auto scale = (running_var.to(torch::kDouble) + options.eps()).rsqrt();
  if (options.affine()) scale = scale * weight.to(torch::kDouble);
  auto shift = -running_mean.to(torch::kDouble) * scale;
  if (options.affine()) shift = shift + bias.to(torch::kDouble);
  std::vector<int64_t> per_channel(static_cast<size_t>(conv.weight.dim()), 1);
  per_channel[0] = -1;
  conv.weight.copy_(conv.weight.to(torch::kDouble) * scale.view(per_channel));
  if (conv.bias.defined()) {
    // in place: the registered parameter stays the one the convolution uses
    conv.bias.copy_(conv.bias.to(torch::kDouble) * scale + shift);
  } else {
    conv.bias = shift.to(conv.weight.scalar_type());
  }
  folded_ = true;
}

void FoldableBatchNorm2dImpl::pretty_print(std::ostream& stream) const {
  stream << "FoldableBatchNorm2d(" << options.num_features() << ", eps=" << options.eps()
         << ", momentum=" << options.momentum().value_or(0.0) << ", affine=" << options.affine()
         << ", track_running_stats=" << options.track_running_stats()
         << (folded_ ? ", folded)" : ")");
}

}  // namespace fashionseg::models
