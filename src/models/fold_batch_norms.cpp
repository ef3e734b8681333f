// Folding batch normalisation into the convolutions that feed it, for inference.
#include <torch/torch.h>

#include <stdexcept>

#include "fashionseg/torch/model_registry.h"
#include "models/foldable_batch_norm.h"

namespace fashionseg {

int64_t fold_batch_norms(torch::nn::Module& model) {
  if (model.is_training()) {
    throw std::logic_error("fold_batch_norms: the model must be in eval mode");
  }
  int64_t folded = 0;
  const auto fold = [&folded](torch::nn::Conv2dImpl& conv, models::FoldableBatchNorm2dImpl& bn) {
    if (bn.folded()) return;
    bn.fold_into(conv);
    ++folded;
  };
  for (const auto& module : model.modules(/*include_self=*/true)) {
    if (const auto* owner = dynamic_cast<const models::ConvBatchNormPairs*>(module.get())) {
      for (auto& [conv, bn] : owner->conv_batch_norm_pairs()) fold(*conv, *bn);
    }
    // A Sequential applies its children in order, so a normalisation right after a
    // convolution always sees that convolution's output.
    if (module->as<torch::nn::Sequential>() == nullptr) continue;
    const auto children = module->children();
    for (size_t i = 0; i + 1 < children.size(); ++i) {
      auto* conv = children[i]->as<torch::nn::Conv2d>();
      auto* bn = children[i + 1]->as<models::FoldableBatchNorm2d>();
      if (conv != nullptr && bn != nullptr) fold(*conv, *bn);
    }
  }
  return folded;
}

}  // namespace fashionseg
