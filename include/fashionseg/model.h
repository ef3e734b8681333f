#pragma once
/// The contract every segmentation model fulfils, and the options they share.

#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "fashionseg/model_options.h"

namespace fashionseg {

/// What a model returns: logits at input resolution, plus the auxiliary head's logits when
/// the model has one (torchvision's `aux`), also at input resolution.
struct ModelOutput {
  torch::Tensor out;  ///< [B, num_classes, H, W] logits, same H, W as the input
  torch::Tensor aux;  ///< [B, num_classes, H, W] or undefined when there is no aux head
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
