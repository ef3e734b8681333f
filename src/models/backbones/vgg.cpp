#include "models/backbones/vgg.h"

#include <string>

#include "models/layers.h"

namespace fashionseg::models {

const std::vector<int64_t>& Vgg16BnFeaturesImpl::convs_per_stage() {
  static const std::vector<int64_t> counts = {2, 2, 3, 3, 3};
  return counts;
}

Vgg16BnFeaturesImpl::Vgg16BnFeaturesImpl(double width_multiplier) {
  const std::vector<int64_t> base = {64, 128, 256, 512, 512};
  int64_t index = 0;  // torchvision's Sequential index: conv, BN, ReLU per conv; one per pool
  int64_t in_channels = 3;
  for (size_t stage = 0; stage < base.size(); ++stage) {
    const int64_t channels = scaled_channels(base[stage], width_multiplier);
    stage_channels_.push_back(channels);
    stages_.emplace_back();
    for (int64_t i = 0; i < convs_per_stage()[stage]; ++i) {
      auto conv = register_module(std::to_string(index), conv2d(in_channels, channels, 3, 1, 1));
      auto bn = register_module(std::to_string(index + 1), batch_norm(channels));
      stages_.back().emplace_back(conv, bn);
      in_channels = channels;
      index += 3;
    }
    index += 1;  // the max-pool
  }
}

std::vector<std::pair<torch::nn::Conv2d, FoldableBatchNorm2d>>
Vgg16BnFeaturesImpl::conv_batch_norm_pairs() const {
  std::vector<std::pair<torch::nn::Conv2d, FoldableBatchNorm2d>> pairs;
  for (const auto& stage : stages_) pairs.insert(pairs.end(), stage.begin(), stage.end());
  return pairs;
}

VggEncoding Vgg16BnFeaturesImpl::forward(const torch::Tensor& x) {
  VggEncoding encoding;
  torch::Tensor out = x;
  for (auto& stage : stages_) {
    for (auto& [conv, bn] : stage) out = bn(conv(out)).relu_();
    PooledStage pooled;
    pooled.size_before = {out.size(-2), out.size(-1)};
    std::tie(out, pooled.indices) = torch::max_pool2d_with_indices(out, {2, 2}, {2, 2});
    encoding.stages.push_back(std::move(pooled));
  }
  encoding.output = out;
  return encoding;
}

}  // namespace fashionseg::models
