#pragma once
// torchvision's LRASPPHead (Lite R-ASPP, "Searching for MobileNetV3"): keys cbr.0/cbr.1
// (1x1 conv + BN + ReLU on the high features), scale.1 (pool -> 1x1 conv -> sigmoid),
// low_classifier and high_classifier (1x1 convs with bias).

#include <torch/torch.h>

#include <cstdint>

namespace fashionseg::models {

class LrasppHeadImpl : public torch::nn::Module {
 public:
  LrasppHeadImpl(int64_t low_channels, int64_t high_channels, int64_t num_classes,
                 int64_t inter_channels = 128);
  /// Logits at the low features' resolution.
  torch::Tensor forward(const torch::Tensor& low, const torch::Tensor& high);

 private:
  torch::nn::Sequential cbr{nullptr};
  torch::nn::Conv2d scale_conv{nullptr};
  torch::nn::Conv2d low_classifier{nullptr}, high_classifier{nullptr};
};
TORCH_MODULE(LrasppHead);

}  // namespace fashionseg::models
