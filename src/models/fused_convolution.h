#pragma once
// A convolution run by oneDNN directly, for CPU inference in bf16 on channels-last tensors:
// its weights packed once into oneDNN's blocked layout (LibTorch 1.13 reorders them on every
// call), its bias, ReLU and a residual add computed in the convolution's own output pass
// (LibTorch runs each as one more pass over the feature map). Measured in bench/RESULTS.md.

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

namespace fashionseg::models {

/// What the output pass does after adding the bias.
enum class ConvEpilogue {
  kNone,     ///< conv(x) + bias
  kRelu,     ///< relu(conv(x) + bias)
  kAddRelu,  ///< relu(conv(x) + bias + residual), written over the residual
};

/// One Conv2d's inference in bf16 through oneDNN. The module's own parameters are not
/// changed and stay the source of truth (state_dict, fallback path): this holds a packed bf16
/// copy of the weight and a float copy of the bias, taken when constructed, so build it after
/// batch normalisations are folded. Thread-safe: plans per input size are created under a
/// lock, and each call has its own scratch memory.
class FusedConvolution {
 public:
  /// Takes `conv`'s weight (any float type, groups 1) and bias (if any).
  /// Throws std::invalid_argument for grouped convolutions or non-zero padding modes.
  FusedConvolution(const torch::nn::Conv2dImpl& conv, ConvEpilogue epilogue);
  ~FusedConvolution();
  FusedConvolution(const FusedConvolution&) = delete;
  FusedConvolution& operator=(const FusedConvolution&) = delete;

  /// True when this path computes conv's output for `input`: gradients off, and `input` a CPU
  /// bf16 [N,C,H,W] channels-last dense tensor with conv's input channels. Callers run
  /// LibTorch's own operators otherwise.
  bool accepts(const torch::Tensor& input) const;

  /// The epilogue applied to conv(input) + bias, as a new bf16 channels-last tensor.
  /// kNone or kRelu only; `input` must be accepted.
  torch::Tensor forward(const torch::Tensor& input) const;

  /// How an input of n x height x width runs: "winograd" (F(2x2, 3x3), winograd_kernel.h: 3x3,
  /// stride 1, padding = dilation, at least 128 channels in and out, and where its products
  /// are at most 60% of the direct convolution's) or "direct" (oneDNN's convolution).
  std::string algorithm(int64_t n, int64_t height, int64_t width) const;

  /// kAddRelu: residual = relu(conv(input) + bias + residual), in place; `residual` must be a
  /// bf16 channels-last dense tensor of the output's shape that nothing else reads afterwards.
  void forward_add_relu(const torch::Tensor& input, torch::Tensor& residual) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Whether this CPU runs oneDNN's bf16 convolutions on native bf16 instructions, so that
/// FusedConvolution pays (elsewhere oneDNN would emulate bf16). Decided once.
bool fused_convolutions_available();

/// Implemented by modules whose forward can run its convolutions as FusedConvolutions.
class FusesConvolutions {
 public:
  virtual ~FusesConvolutions() = default;
  /// Builds the FusedConvolutions its forward uses from now on whenever they accept the input
  /// (eval mode, batch normalisations already folded). Returns how many it built.
  virtual int64_t fuse_convolutions() = 0;
};

}  // namespace fashionseg::models
