#pragma once
/// The contract every segmentation model fulfils, and the options they share.

#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>

namespace fashionseg {

/// What a model returns: logits at input resolution, plus the auxiliary head's logits when
/// the model has one (torchvision's `aux`), also at input resolution.
struct ModelOutput {
  torch::Tensor out;  ///< [B, num_classes, H, W] logits, same H, W as the input
  torch::Tensor aux;  ///< [B, num_classes, H, W] or undefined when there is no aux head
};

/// Options shared by the registered models. Each model documents which fields it reads; the
/// others are ignored. Defaults reproduce the papers / torchvision.
struct ModelOptions {
  /// Output classes (default 47: background + 46 iMaterialist categories).
  int64_t num_classes = 47;
  /// Build torchvision's auxiliary FCN head on layer3 (fcn_resnet50, deeplabv3_resnet50).
  bool aux_head = false;
  /// Output stride of dilated ResNet backbones: 8 (torchvision) or 16.
  int64_t output_stride = 8;
  /// Width of U-Net's first stage (64 = the paper; 16 or 32 for CPU).
  int64_t base_width = 64;
  /// Channel multiplier for models that allow one (SegNet, U-Net, DeepLabV3/ASPP heads).
  double width_multiplier = 1.0;
  /// Use BatchNorm after convolutions where the paper makes it optional (U-Net).
  bool batch_norm = true;
  /// Dropout probability; negative = the model's own default.
  double dropout = -1.0;
};

/// Base class of every segmentation model. Input: float [B,3,H,W] normalised RGB, any H, W
/// >= 1 (models pad internally and crop back when they need multiples of their stride).
class SegmentationModel : public torch::nn::Module {
 public:
  /// Logits (and aux logits) at input resolution.
  virtual ModelOutput forward_all(const torch::Tensor& images) = 0;
  /// Logits only: forward_all(images).out.
  torch::Tensor forward(const torch::Tensor& images) { return forward_all(images).out; }
};

using ModelPtr = std::shared_ptr<SegmentationModel>;

}  // namespace fashionseg
