#pragma once
/// The contract every segmentation model fulfils, and the options they share.

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "fashionseg/data/model_options.h"

namespace fashionseg {

/// What a model returns: logits at input resolution, plus the auxiliary head's logits when
/// the model has one (torchvision's `aux`), also at input resolution, plus the image-level
/// category logits when the model has a category head.
struct ModelOutput {
  torch::Tensor out;  ///< [B, num_classes, H, W] logits, same H, W as the input
  torch::Tensor aux;  ///< [B, num_classes, H, W] or undefined when there is no aux head
  /// [B, num_classes] image-level logits (class present or not, independently per class);
  /// undefined when the model has no category head. Column 0 (background) is never trained.
  torch::Tensor categories;
  /// The model's deepest features [B, F, h, w], which the category head pools. Every model
  /// sets them in forward_features().
  torch::Tensor features;
};

/// Base class of every segmentation model. Input: float [B,3,H,W] normalised RGB, any H, W
/// >= 1 (models pad internally and crop back when they need multiples of their stride).
class SegmentationModel : public torch::nn::Module {
 public:
  /// Logits, aux logits and, with a category head, the image-level category logits.
  ModelOutput forward_all(const torch::Tensor& images);
  /// Logits only: forward_all(images).out.
  torch::Tensor forward(const torch::Tensor& images) { return forward_all(images).out; }

  /// Adds the image-level category head ("category_head": a Linear from the deepest
  /// features' channels to `num_classes` logits, bias set to a prior of 0.1), finding the
  /// channel count with one small forward pass in eval mode (the model's mode is restored;
  /// BatchNorm statistics are untouched). Call it once, before moving the model to a device
  /// or building an optimizer. Throws Error(kConfig) when the model already has one.
  void add_category_head(int64_t num_classes);
  /// Whether add_category_head() was called.
  bool has_category_head() const { return !category_head_.is_empty(); }

 protected:
  /// Each model's own forward pass: out (and aux) at input resolution, and `features`.
  virtual ModelOutput forward_features(const torch::Tensor& images) = 0;

 private:
  torch::nn::Linear category_head_{nullptr};
};

using ModelPtr = std::shared_ptr<SegmentationModel>;

}  // namespace fashionseg
