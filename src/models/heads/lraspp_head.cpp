#include "models/heads/lraspp_head.h"

#include "models/layers.h"

namespace fashionseg::models {

LrasppHeadImpl::LrasppHeadImpl(int64_t low_channels, int64_t high_channels, int64_t num_classes,
                               int64_t inter_channels) {
  cbr = register_module(
      "cbr", torch::nn::Sequential(conv2d(high_channels, inter_channels, 1, 1, 0, 1, false),
                                   batch_norm(inter_channels), torch::nn::ReLU()));
  // torchvision's `scale` Sequential: AdaptiveAvgPool2d "0", Conv2d "1", Sigmoid "2".
  scale_conv = conv2d(high_channels, inter_channels, 1, 1, 0, 1, false);
  register_module("scale", torch::nn::Sequential(torch::nn::AdaptiveAvgPool2d(1), scale_conv,
                                                 torch::nn::Sigmoid()));
  low_classifier = register_module("low_classifier", conv2d(low_channels, num_classes, 1));
  high_classifier = register_module("high_classifier", conv2d(inter_channels, num_classes, 1));
}

torch::Tensor LrasppHeadImpl::forward(const torch::Tensor& low, const torch::Tensor& high) {
  auto x = cbr->forward(high);
  const auto scale = torch::sigmoid(scale_conv(torch::adaptive_avg_pool2d(high, {1, 1})));
  x = resize_bilinear(x * scale, low.size(-2), low.size(-1));
  return low_classifier(low) + high_classifier(x);
}

}  // namespace fashionseg::models
