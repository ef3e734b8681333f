// Region losses: soft Dice, generalised Dice and Lovász-softmax.
#include <torch/torch.h>

#include "losses/losses.h"

namespace fashionseg {
namespace {

/// Softmax probabilities and one-hot targets [B,C,H,W], both zeroed at ignored pixels.
std::pair<torch::Tensor, torch::Tensor> masked_probabilities(const torch::Tensor& logits,
                                                             const torch::Tensor& target,
                                                             int64_t ignore_index) {
  const int64_t classes = logits.size(1);
  const torch::Tensor valid = (target != ignore_index).unsqueeze(1).to(logits.dtype());
  const torch::Tensor safe_target =
      torch::where(target != ignore_index, target, torch::zeros_like(target));
  const torch::Tensor one_hot =
      torch::one_hot(safe_target, classes).permute({0, 3, 1, 2}).to(logits.dtype()) * valid;
  const torch::Tensor probabilities = torch::softmax(logits, 1) * valid;
  return {probabilities, one_hot};
}

/// 1-D gradient of the Lovász extension w.r.t. sorted errors (Berman et al., Alg. 1).
torch::Tensor lovasz_grad(const torch::Tensor& gt_sorted) {
  const torch::Tensor gts = gt_sorted.sum();
  const torch::Tensor intersection = gts - gt_sorted.cumsum(0);
  const torch::Tensor union_ = gts + (1 - gt_sorted).cumsum(0);
  torch::Tensor jaccard = 1 - intersection / union_;
  if (gt_sorted.numel() > 1) {
    jaccard.slice(0, 1) = jaccard.slice(0, 1) - jaccard.slice(0, 0, -1).clone();
  }
  return jaccard;
}

}  // namespace

torch::Tensor soft_dice_loss(const torch::Tensor& logits, const torch::Tensor& target,
                             const LossOptions& options) {
  const auto [p, y] = masked_probabilities(logits, target, options.ignore_index);
  const std::vector<int64_t> dims{0, 2, 3};
  const torch::Tensor intersection = (p * y).sum(dims);
  const torch::Tensor cardinality = p.sum(dims) + y.sum(dims);
  const torch::Tensor dice =
      (2 * intersection + options.dice_smooth) / (cardinality + options.dice_smooth);
  const torch::Tensor present = (y.sum(dims) > 0).to(dice.dtype());
  // Classes absent from the targets are left out; an all-ignored batch gives 0 (still
  // connected to the logits so backward works).
  return ((1 - dice) * present).sum() / present.sum().clamp_min(1) + 0 * logits.sum();
}

torch::Tensor generalized_dice_loss(const torch::Tensor& logits, const torch::Tensor& target,
                                    const LossOptions& options) {
  const auto [p, y] = masked_probabilities(logits, target, options.ignore_index);
  const std::vector<int64_t> dims{0, 2, 3};
  const torch::Tensor volume = y.sum(dims);
  const torch::Tensor weight =
      torch::where(volume > 0, 1 / (volume * volume).clamp_min(1e-12), torch::zeros_like(volume));
  const torch::Tensor numerator = (weight * (p * y).sum(dims)).sum();
  const torch::Tensor denominator = (weight * (p.sum(dims) + volume)).sum();
  if (denominator.item<double>() == 0) return 0 * logits.sum();
  return 1 - 2 * numerator / denominator;
}

torch::Tensor lovasz_softmax_loss(const torch::Tensor& logits, const torch::Tensor& target,
                                  const LossOptions& options) {
  const int64_t classes = logits.size(1);
  const torch::Tensor probabilities =
      torch::softmax(logits, 1).permute({0, 2, 3, 1}).reshape({-1, classes});
  const torch::Tensor labels = target.reshape({-1});
  const torch::Tensor valid = labels != options.ignore_index;
  const torch::Tensor p = probabilities.index({valid});
  const torch::Tensor l = labels.index({valid});
  std::vector<torch::Tensor> per_class;
  for (int64_t c = 0; c < classes; ++c) {
    const torch::Tensor foreground = (l == c).to(p.dtype());
    if (foreground.sum().item<double>() == 0) continue;  // only classes present
    const torch::Tensor errors = (foreground - p.select(1, c)).abs();
    const auto [sorted, permutation] = errors.sort(0, /*descending=*/true);
    per_class.push_back(torch::dot(sorted, lovasz_grad(foreground.index({permutation}))));
  }
  if (per_class.empty()) return 0 * logits.sum();
  return torch::stack(per_class).mean();
}

}  // namespace fashionseg
