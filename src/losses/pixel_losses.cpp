// Per-pixel losses: cross-entropy and focal.
#include <torch/torch.h>

#include "losses/losses.h"

namespace fashionseg {

torch::Tensor cross_entropy_loss(const torch::Tensor& logits, const torch::Tensor& target,
                                 const LossOptions& options) {
  auto ce = torch::nn::functional::CrossEntropyFuncOptions()
                .ignore_index(options.ignore_index)
                .label_smoothing(options.label_smoothing);
  if (!options.class_weights.empty()) {
    ce.weight(torch::tensor(options.class_weights, logits.options().dtype(torch::kFloat32))
                  .to(logits.dtype()));
  }
  return torch::nn::functional::cross_entropy(logits, target, ce);
}

torch::Tensor focal_loss(const torch::Tensor& logits, const torch::Tensor& target,
                         const LossOptions& options) {
  const torch::Tensor valid = target != options.ignore_index;
  // Ignored pixels point at class 0 so gather stays in range; they are masked out below.
  const torch::Tensor safe_target = torch::where(valid, target, torch::zeros_like(target));
  const torch::Tensor log_p = torch::log_softmax(logits, 1);
  const torch::Tensor log_pt = log_p.gather(1, safe_target.unsqueeze(1)).squeeze(1);
  const torch::Tensor pt = log_pt.exp();
  torch::Tensor loss = -torch::pow(1 - pt, options.focal_gamma) * log_pt;
  if (!options.focal_alpha.empty()) {
    const torch::Tensor alpha =
        torch::tensor(options.focal_alpha, logits.options().dtype(torch::kFloat32))
            .to(logits.dtype());
    loss = loss * alpha.index_select(0, safe_target.flatten()).view_as(loss);
  }
  const torch::Tensor valid_f = valid.to(loss.dtype());
  return (loss * valid_f).sum() / valid_f.sum().clamp_min(1);
}

}  // namespace fashionseg
