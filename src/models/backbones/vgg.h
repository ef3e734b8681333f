#pragma once
// VGG16-BN convolutional trunk with torchvision's `vgg16_bn().features` indices: conv "0",
// BN "1", ReLU 2, conv "3", BN "4", ReLU 5, pool 6, conv "7", ... pool 43. Registered as
// "features", its keys map 1:1 onto torchvision's (features.0.weight, features.1.running_var,
// ..., features.41.bias). Pools keep their argmax indices for SegNet's decoder.

#include <torch/torch.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "models/layers.h"

namespace fashionseg::models {

/// What one encoder stage hands to the decoder.
struct PooledStage {
  torch::Tensor indices;             ///< max-pool argmax indices (for max_unpool2d)
  std::vector<int64_t> size_before;  ///< [H, W] before pooling (the unpool output size)
};

struct VggEncoding {
  torch::Tensor output;             ///< after the 5th pool: [B, C5, H/32, W/32]
  std::vector<PooledStage> stages;  ///< 5 entries, shallowest first
};

class Vgg16BnFeaturesImpl : public torch::nn::Module, public ConvBatchNormPairs {
 public:
  /// `width_multiplier` scales every stage's channels (1 = torchvision's 64..512).
  explicit Vgg16BnFeaturesImpl(double width_multiplier = 1.0);
  VggEncoding forward(const torch::Tensor& x);

  /// Output channels of each of the 5 stages (64, 128, 256, 512, 512 at multiplier 1).
  const std::vector<int64_t>& stage_channels() const { return stage_channels_; }
  /// Convolutions per stage: 2, 2, 3, 3, 3.
  static const std::vector<int64_t>& convs_per_stage();
  std::vector<std::pair<torch::nn::Conv2d, FoldableBatchNorm2d>> conv_batch_norm_pairs()
      const override;

 private:
  std::vector<int64_t> stage_channels_;
  // per stage, its conv+BN pairs in order
  std::vector<std::vector<std::pair<torch::nn::Conv2d, FoldableBatchNorm2d>>> stages_;
};
TORCH_MODULE(Vgg16BnFeatures);

}  // namespace fashionseg::models
