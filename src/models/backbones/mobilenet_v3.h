#pragma once
// MobileNetV3-Large `features` as torchvision 0.14 builds it for segmentation
// (mobilenet_v3_large(dilated=True)): the last stage (C4/C5) dilated by 2 instead of strided,
// output stride 16. Children "0".."16" exactly as torchvision's Sequential, so keys read
// "backbone.4.block.2.fc1.weight" once the segmentation model registers it as "backbone".

#include <torch/torch.h>

#include <cstdint>

namespace fashionseg::models {

/// torchvision's SqueezeExcitation with Hardsigmoid scale: avgpool -> fc1 -> ReLU -> fc2.
class SqueezeExcitationImpl : public torch::nn::Module {
 public:
  SqueezeExcitationImpl(int64_t channels, int64_t squeeze_channels);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(SqueezeExcitation);

/// One row of torchvision's MobileNetV3-Large table (InvertedResidualConfig).
struct InvertedResidualConfig {
  int64_t in_channels;
  int64_t kernel;
  int64_t expanded_channels;
  int64_t out_channels;
  bool use_se;
  bool use_hardswish;
  int64_t stride;
  int64_t dilation;
};

/// torchvision's InvertedResidual: [expand 1x1] -> depthwise kxk -> [SE] -> project 1x1,
/// children under "block"; residual when stride 1 and in == out channels.
class InvertedResidualImpl : public torch::nn::Module {
 public:
  explicit InvertedResidualImpl(const InvertedResidualConfig& config);
  torch::Tensor forward(const torch::Tensor& x);

  int64_t out_channels() const { return out_channels_; }
  /// torchvision's `_is_cn`: the block starts a new stage (stride > 1 in the table).
  bool starts_stage() const { return starts_stage_; }

 private:
  torch::nn::Sequential block{nullptr};
  bool use_residual_ = false;
  int64_t out_channels_ = 0;
  bool starts_stage_ = false;
};
TORCH_MODULE(InvertedResidual);

/// The feature maps the segmentation heads use.
struct MobileNetV3Features {
  torch::Tensor detail;  ///< output of child "3" (C1, 24 channels, output stride 4)
  torch::Tensor low;     ///< output of child "4" (C2, 40 channels, output stride 8)
  torch::Tensor high;    ///< output of child "16" (C5, 960 channels, output stride 16)
};

/// MobileNetV3-Large features (dilated). BatchNorm eps 0.001, momentum 0.01 as torchvision.
class MobileNetV3LargeFeaturesImpl : public torch::nn::Module {
 public:
  MobileNetV3LargeFeaturesImpl();
  MobileNetV3Features forward(const torch::Tensor& x);

  static constexpr int64_t kDetailChannels = 24;
  static constexpr int64_t kLowChannels = 40;
  static constexpr int64_t kHighChannels = 960;
  static constexpr size_t kDetailIndex = 3;
  static constexpr size_t kLowIndex = 4;

 private:
  torch::nn::Sequential layers_{nullptr};  // not registered itself: its children are ours
};
TORCH_MODULE(MobileNetV3LargeFeatures);

}  // namespace fashionseg::models
