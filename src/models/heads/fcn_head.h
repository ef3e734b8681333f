#pragma once
// torchvision's FCNHead: 3x3 conv (in/4, no bias) -> BN -> ReLU -> Dropout(0.1) -> 1x1 conv.
// A Sequential, so the keys are "0.weight", "1.running_mean", ..., "4.weight", "4.bias".

#include <torch/torch.h>

#include <cstdint>

namespace fashionseg::models {

/// Builds torchvision's FCNHead(in_channels, num_classes).
torch::nn::Sequential make_fcn_head(int64_t in_channels, int64_t num_classes);

}  // namespace fashionseg::models
