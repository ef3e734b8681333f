// How an inference model's weights are stored: layout (NHWC), under bf16 autocast the bf16
// copies the autocast would otherwise make on every forward pass, and the convolutions fused
// through oneDNN; and the one order in which a model is prepared for inference.
#include <torch/torch.h>

#include "fashionseg/torch/model_registry.h"
#include "models/fused_convolution.h"

namespace fashionseg {
namespace {

/// Replaces a weight or bias (registered or not) by its bf16 copy.
void to_bf16(torch::Tensor& tensor) {
  if (!tensor.defined() || tensor.scalar_type() != torch::kFloat) return;
  tensor.set_data(tensor.data().to(torch::kBFloat16));
}

}  // namespace

int64_t fuse_convolutions(torch::nn::Module& model) {
  if (!models::fused_convolutions_available()) return 0;
  int64_t fused = 0;
  for (const auto& module : model.modules(/*include_self=*/true)) {
    if (auto* fusing = dynamic_cast<models::FusesConvolutions*>(module.get())) {
      fused += fusing->fuse_convolutions();
    }
  }
  return fused;
}

void to_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& parameter : module.parameters()) {
    if (parameter.dim() == 4) {
      parameter.set_data(parameter.data().contiguous(torch::MemoryFormat::ChannelsLast));
    }
  }
}

int64_t store_autocast_weights_in_bf16(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  int64_t cast = 0;
  // Convolutions and linear layers are the layers whose operations bf16 autocast runs in bf16
  // whatever their weights' type, so a bf16 copy changes no result. Other layers keep fp32
  // weights: unfolded batch normalisations run in the input's type with fp32 statistics, and
  // LibTorch 1.13's transposed convolution is not on autocast's bf16 list (it computes with
  // the weights as stored: a bf16 copy would change its results).
  for (const auto& module : model.modules(/*include_self=*/true)) {
    torch::Tensor* weight = nullptr;
    torch::Tensor* bias = nullptr;
    if (auto* conv = module->as<torch::nn::Conv2d>()) {
      weight = &conv->weight;
      bias = &conv->bias;
    } else if (auto* linear = module->as<torch::nn::Linear>()) {
      weight = &linear->weight;
      bias = &linear->bias;
    } else {
      continue;
    }
    // set_data keeps the tensor object, so a registered parameter and the member the layer's
    // forward reads stay the same tensor.
    to_bf16(*weight);
    to_bf16(*bias);
    ++cast;
  }
  return cast;
}

InferencePrepared prepare_for_inference(torch::nn::Module& model,
                                        const InferencePreparation& preparation) {
  model.to(preparation.device);
  model.eval();
  if (preparation.channels_last) to_channels_last(model);
  InferencePrepared prepared;
  // After the device and layout changes: the folded biases are not registered parameters.
  if (preparation.fold_batch_norms) prepared.batch_norms_folded = fold_batch_norms(model);
  // After folding: folding computes in the weights' own type.
  if (preparation.bf16_weights) store_autocast_weights_in_bf16(model);
  // Last: the fused convolutions copy the final (folded) weights.
  if (preparation.fuse_convolutions && preparation.device.is_cpu() && preparation.channels_last &&
      preparation.bf16_weights && preparation.fold_batch_norms) {
    prepared.convolutions_fused = fuse_convolutions(model);
  }
  return prepared;
}

}  // namespace fashionseg
