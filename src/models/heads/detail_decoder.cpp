#include "models/heads/detail_decoder.h"

#include "models/layers.h"

namespace fashionseg::models {

DetailDecoderImpl::DetailDecoderImpl(int64_t detail_channels, int64_t num_classes,
                                     int64_t projected_channels, int64_t mixed_channels) {
  project = register_module(
      "project",
      torch::nn::Sequential(conv2d(detail_channels, projected_channels, 1, 1, 0, 1, false),
                            batch_norm(projected_channels), torch::nn::ReLU()));
  const int64_t joined = projected_channels + num_classes;
  mix = register_module(
      "mix",
      torch::nn::Sequential(conv2d(joined, joined, 3, 1, 1, 1, false, joined), batch_norm(joined),
                            torch::nn::ReLU(), conv2d(joined, mixed_channels, 1, 1, 0, 1, false),
                            batch_norm(mixed_channels), torch::nn::ReLU()));
  init_kaiming_fan_out(*this);
  correct = register_module("correct", conv2d(mixed_channels, num_classes, 1));
  torch::NoGradGuard no_grad;
  correct->weight.zero_();
  correct->bias.zero_();
}

torch::Tensor DetailDecoderImpl::forward(const torch::Tensor& coarse_logits,
                                         const torch::Tensor& detail) {
  const auto coarse = resize_bilinear(coarse_logits, detail.size(-2), detail.size(-1));
  const auto joined = torch::cat({project->forward(detail), coarse}, 1);
  return correct(mix->forward(joined));
}

}  // namespace fashionseg::models
