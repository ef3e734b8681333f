#pragma once
// Batch normalisation that can be folded into the convolution feeding it, for inference.

#include <torch/torch.h>

#include <ostream>
#include <utility>
#include <vector>

namespace fashionseg::models {

/// BatchNorm2d with LibTorch's parameters, buffers, state-dict keys ("weight", "bias",
/// "running_mean", "running_var", "num_batches_tracked") and training behaviour, that can be
/// folded into the convolution feeding it: after fold_into(conv), conv computes BN(conv(x))
/// by itself and forward() passes its input through, saving a full read and write of the
/// feature map per normalisation. (Not derived from torch::nn::BatchNorm2dImpl: LibTorch's
/// shared library does not export all of that class's virtual functions.)
class FoldableBatchNorm2dImpl : public torch::nn::Cloneable<FoldableBatchNorm2dImpl> {
 public:
  explicit FoldableBatchNorm2dImpl(const torch::nn::BatchNorm2dOptions& options);

  /// Registers the parameters and buffers: weight 1, bias 0, running mean 0, variance 1.
  void reset() override;

  /// torch::nn::BatchNorm2d's forward (batch statistics and running-average updates in
  /// training mode, running statistics in eval mode); the identity once folded.
  torch::Tensor forward(const torch::Tensor& input);

  /// Rescales `conv`'s weight and sets its bias so that conv alone equals this normalisation
  /// (eval mode, running statistics) applied to conv's output; from then on forward() is the
  /// identity. Inference only: a bias the conv did not have is not a registered parameter,
  /// so the model must not be trained or saved afterwards and must already be on its final
  /// device. Throws std::logic_error in training mode, without running statistics, when
  /// already folded, or when conv's output channels differ from this layer's.
  void fold_into(torch::nn::Conv2dImpl& conv);

  /// True once fold_into() has run.
  bool folded() const { return folded_; }

  /// "FoldableBatchNorm2d(C, eps=..., momentum=..., affine=..., track_running_stats=...)".
  void pretty_print(std::ostream& stream) const override;

  torch::nn::BatchNorm2dOptions options;
  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 private:
  bool folded_ = false;
};
TORCH_MODULE(FoldableBatchNorm2d);

/// Implemented by modules whose own forward normalises a convolution's output with a
/// FoldableBatchNorm2d outside a Sequential (inside a Sequential, fold_batch_norms pairs a
/// convolution with the normalisation right after it by position).
class ConvBatchNormPairs {
 public:
  virtual ~ConvBatchNormPairs() = default;
  /// Every (convolution, normalisation applied directly to its output) pair in forward().
  virtual std::vector<std::pair<torch::nn::Conv2d, FoldableBatchNorm2d>> conv_batch_norm_pairs()
      const = 0;
};

}  // namespace fashionseg::models
