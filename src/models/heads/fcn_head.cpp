#include "models/heads/fcn_head.h"

#include "models/layers.h"

namespace fashionseg::models {

torch::nn::Sequential make_fcn_head(int64_t in_channels, int64_t num_classes) {
  const int64_t inter_channels = in_channels / 4;
  return torch::nn::Sequential(conv2d(in_channels, inter_channels, 3, 1, 1, 1, false),
                               batch_norm(inter_channels), torch::nn::ReLU(),
                               torch::nn::Dropout(0.1), conv2d(inter_channels, num_classes, 1));
}

}  // namespace fashionseg::models
