#pragma once
// torchvision's _SimpleSegmentationModel over a ResNet-50 trunk: backbone -> classifier on
// layer4 (and aux_classifier on layer3) -> bilinear upsampling to the input size. FCN,
// DeepLabV3 and the atrous (DeepLab-v1 style) model differ only in their heads.

#include <torch/torch.h>

#include <string>

#include "fashionseg/model.h"
#include "models/backbones/resnet.h"

namespace fashionseg::models {

class ResNetSegmentationModel : public SegmentationModel {
 public:
  /// `classifier` maps layer4's 2048 channels to logits; `aux_classifier` (may be null) maps
  /// layer3's 1024 channels to logits. `name` is used in error messages.
  ResNetSegmentationModel(std::string name, int64_t output_stride, torch::nn::Sequential classifier,
                          torch::nn::Sequential aux_classifier);
  ModelOutput forward_all(const torch::Tensor& images) override;

 private:
  std::string name_;
  ResNet50Backbone backbone_{nullptr};
  torch::nn::Sequential classifier_{nullptr};
  torch::nn::Sequential aux_classifier_{nullptr};
};

}  // namespace fashionseg::models
