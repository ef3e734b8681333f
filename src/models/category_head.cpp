// The image-level category head every registered model can carry: the model's deepest
// features, average-pooled over the image, through one linear layer to one logit per class.
// It lives in the base class so that a model only has to name its deepest features.
#include <torch/torch.h>

#include <cmath>

#include "fashionseg/core/error.h"
#include "fashionseg/torch/model.h"

namespace fashionseg {

ModelOutput SegmentationModel::forward_all(const torch::Tensor& images) {
  ModelOutput output = forward_features(images);
  if (has_category_head()) {
    const torch::Tensor pooled = output.features.mean({2, 3});  // [B, F]
    output.categories = category_head_->forward(pooled.contiguous());
  }
  return output;
}

void SegmentationModel::add_category_head(int64_t num_classes) {
  if (has_category_head()) throw_config_error("the model already has a category head");
  if (num_classes < 2) throw_config_error("a category head needs at least 2 classes");
  int64_t channels = 0;
  {
    // One small pass finds the deepest features' channel count; eval mode leaves BatchNorm's
    // running statistics alone.
    const bool was_training = is_training();
    eval();
    torch::NoGradGuard no_grad;
    try {
      channels = forward_features(torch::zeros({1, 3, 64, 64})).features.size(1);
    } catch (...) {
      train(was_training);
      throw;
    }
    train(was_training);
  }
  category_head_ = register_module("category_head", torch::nn::Linear(channels, num_classes));
  torch::NoGradGuard no_grad;
  torch::nn::init::normal_(category_head_->weight, 0.0, 0.01);
  // Most classes are absent from most photos: start every logit at a prior of 0.1, so the
  // first steps do not spend themselves pushing all classes down (Lin et al., focal loss).
  category_head_->bias.fill_(std::log(0.1 / 0.9));
}

}  // namespace fashionseg
