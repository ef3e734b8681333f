#pragma once
// ResNet-50 as torchvision 0.14 builds it (Bottleneck v1.5: stride on the 3x3 convolution),
// kept up to layer4 as torchvision's IntermediateLayerGetter does, with optional dilation of
// the last stages for dense prediction. Submodule names equal torchvision's state_dict keys.

#include <torch/torch.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "models/fused_convolution.h"
#include "models/layers.h"

namespace fashionseg::models {

/// torchvision's Bottleneck: 1x1 -> 3x3 (stride, dilation) -> 1x1 (x4), identity or
/// `downsample` (Sequential "0" conv1x1, "1" bn) shortcut.
class BottleneckImpl : public torch::nn::Module,
                       public ConvBatchNormPairs,
                       public FusesConvolutions {
 public:
  BottleneckImpl(int64_t in_channels, int64_t planes, int64_t stride, int64_t dilation,
                 bool with_downsample);
  torch::Tensor forward(const torch::Tensor& x) { return forward_block(x, false); }
  /// forward(x); with `input_is_scratch`, the fused path may write its output over `x` (the
  /// caller reads `x` no more), saving a copy for the identity shortcut.
  torch::Tensor forward_block(const torch::Tensor& x, bool input_is_scratch);
  std::vector<std::pair<torch::nn::Conv2d, FoldableBatchNorm2d>> conv_batch_norm_pairs()
      const override;
  /// conv1 and conv2 with their ReLU, conv3 with the shortcut's add and the ReLU, and the
  /// downsampling convolution; only once every normalisation is folded.
  int64_t fuse_convolutions() override;

 private:
  struct Fused {
    std::unique_ptr<FusedConvolution> conv1, conv2, conv3, downsample;
  };
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  FoldableBatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::Sequential downsample{nullptr};
  std::shared_ptr<const Fused> fused_;
};
TORCH_MODULE(Bottleneck);

/// The feature maps a dilated ResNet-50 returns.
struct ResNetFeatures {
  torch::Tensor layer3;  ///< [B,1024,...] (torchvision's "aux" feature)
  torch::Tensor layer4;  ///< [B,2048,...] (torchvision's "out" feature)
};

/// ResNet-50 trunk: conv1, bn1, relu, maxpool, layer1..layer4 (no avgpool/fc).
/// output_stride 8 = replace_stride_with_dilation [False, True, True];
/// 16 = [False, False, True]; 32 = no dilation.
class ResNet50BackboneImpl : public torch::nn::Module, public ConvBatchNormPairs {
 public:
  explicit ResNet50BackboneImpl(int64_t output_stride);
  ResNetFeatures forward(const torch::Tensor& x);
  std::vector<std::pair<torch::nn::Conv2d, FoldableBatchNorm2d>> conv_batch_norm_pairs()
      const override;

  static constexpr int64_t kLayer3Channels = 1024;
  static constexpr int64_t kLayer4Channels = 2048;

 private:
  torch::nn::Sequential make_layer(int64_t planes, int64_t blocks, int64_t stride, bool dilate);
  /// layer->forward(x), each block after the first told that its input is scratch.
  static torch::Tensor run_layer(const torch::nn::Sequential& layer, torch::Tensor x);

  int64_t in_channels_ = 64;
  int64_t dilation_ = 1;
  torch::nn::Conv2d conv1{nullptr};
  FoldableBatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
};
TORCH_MODULE(ResNet50Backbone);

}  // namespace fashionseg::models
