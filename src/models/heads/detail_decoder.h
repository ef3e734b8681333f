#pragma once
// A light DeepLabV3+-style decoder that refines coarse logits with high-resolution backbone
// features (for MobileNetV3: child "3", 24 channels at output stride 4). Thin classes (shoes,
// belts, glasses, socks) are a few pixels wide at output stride 8; the stride-4 features still
// see their edges. Keys (under the model's "detail_decoder."): project.0/1 (1x1 conv + BN),
// mix.0..5 (depthwise 3x3 + BN + ReLU, pointwise 1x1 + BN + ReLU), correct (1x1 conv with bias).

#include <torch/torch.h>

#include <cstdint>

namespace fashionseg::models {

class DetailDecoderImpl : public torch::nn::Module {
 public:
  /// `detail_channels`: channels of the high-resolution features; `num_classes`: of the
  /// logits it refines. The last convolution ("correct") starts at zero, so a model that gains
  /// the decoder answers exactly as before until training moves it.
  DetailDecoderImpl(int64_t detail_channels, int64_t num_classes, int64_t projected_channels = 32,
                    int64_t mixed_channels = 64);

  /// A correction of `coarse_logits` at the resolution of `detail`: the coarse logits,
  /// resized bilinearly to `detail`'s size, concatenated with a projection of `detail`, mixed
  /// by a depthwise-separable 3x3 block, then a 1x1 convolution to one value per class.
  torch::Tensor forward(const torch::Tensor& coarse_logits, const torch::Tensor& detail);

 private:
  torch::nn::Sequential project{nullptr};
  torch::nn::Sequential mix{nullptr};
  torch::nn::Conv2d correct{nullptr};
};
TORCH_MODULE(DetailDecoder);

}  // namespace fashionseg::models
