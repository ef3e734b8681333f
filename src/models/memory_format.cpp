#include <torch/torch.h>

#include "fashionseg/torch/model_registry.h"

namespace fashionseg {

void to_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& parameter : module.parameters()) {
    if (parameter.dim() == 4) {
      parameter.set_data(parameter.data().contiguous(torch::MemoryFormat::ChannelsLast));
    }
  }
}

}  // namespace fashionseg
