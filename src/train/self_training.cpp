#include "train/self_training.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "fashionseg/core/error.h"
#include "fashionseg/torch/state_dict.h"

namespace fashionseg {

torch::Tensor category_targets_from_masks(const torch::Tensor& masks, int64_t num_classes,
                                          double min_area_fraction, int64_t ignore_index) {
  TORCH_CHECK(masks.dim() == 3, "category targets: masks must be [B, H, W]");
  const int64_t batch = masks.size(0);
  const torch::Tensor flat = masks.reshape({batch, -1}).to(torch::kLong);
  const torch::Tensor valid = flat != ignore_index;
  // Per photo, a histogram of its classes: one scatter_add over a [B, C] table.
  const torch::Tensor classes = torch::where(valid, flat, torch::zeros_like(flat));
  torch::Tensor counts = torch::zeros({batch, num_classes}, torch::kFloat);
  counts.scatter_add_(1, classes.clamp(0, num_classes - 1), valid.to(torch::kFloat));
  const torch::Tensor counted = valid.sum(1, /*keepdim=*/true).to(torch::kFloat);
  torch::Tensor present = (counts >= counted * min_area_fraction) & (counts >= 1);
  present.select(1, 0).fill_(false);
  return present.to(torch::kFloat);
}

torch::Tensor category_loss(const torch::Tensor& image_logits, const torch::Tensor& targets,
                            const torch::Tensor& weights) {
  TORCH_CHECK(image_logits.dim() == 2 && image_logits.sizes() == targets.sizes() &&
                  targets.sizes() == weights.sizes(),
              "category loss: logits, targets and weights must all be [B, C]");
  torch::Tensor w = weights.to(image_logits.dtype()).clone();
  w.select(1, 0).zero_();
  const torch::Tensor elementwise = torch::binary_cross_entropy_with_logits(
      image_logits, targets.to(image_logits.dtype()), /*weight=*/{}, /*pos_weight=*/{},
      at::Reduction::None);
  const torch::Tensor total_weight = w.sum();
  // clamp_min keeps a batch without any weighted element at 0 instead of NaN.
  return (elementwise * w).sum() / total_weight.clamp_min(1.0);
}

torch::Tensor tag_filtered_pseudo_labels(const torch::Tensor& teacher_logits,
                                         const torch::Tensor& tags, const torch::Tensor& has_tags,
                                         double threshold, int64_t ignore_index) {
  TORCH_CHECK(teacher_logits.dim() == 4, "pseudo-labels: teacher logits must be [B, C, H, W]");
  const int64_t batch = teacher_logits.size(0), classes = teacher_logits.size(1);
  TORCH_CHECK(tags.dim() == 2 && tags.size(0) == batch && tags.size(1) == classes,
              "pseudo-labels: tags must be [B, C]");
  TORCH_CHECK(has_tags.dim() == 1 && has_tags.size(0) == batch,
              "pseudo-labels: has_tags must be [B]");
  torch::NoGradGuard no_grad;
  const torch::Tensor logits = teacher_logits.to(torch::kFloat);
  // Allowed classes: everything for untagged photos; tagged classes + background otherwise.
  torch::Tensor allowed = tags.to(torch::kBool) | ~has_tags.to(torch::kBool).unsqueeze(1);
  allowed.select(1, 0).fill_(true);
  const torch::Tensor masked = logits.masked_fill(~allowed.view({batch, classes, 1, 1}),
                                                  -std::numeric_limits<float>::infinity());
  const auto [probability, label] = masked.softmax(1).max(1);
  return label.masked_fill(probability < threshold, ignore_index);
}

void ema_update(torch::nn::Module& teacher, const torch::nn::Module& student, double decay) {
  torch::NoGradGuard no_grad;
  const auto teacher_parameters = teacher.named_parameters();
  const auto student_parameters = student.named_parameters();
  const auto teacher_buffers = teacher.named_buffers();
  const auto student_buffers = student.named_buffers();
  if (teacher_parameters.size() != student_parameters.size() ||
      teacher_buffers.size() != student_buffers.size()) {
    throw Error(ErrorKind::kInternal, "mean teacher: teacher and student differ in structure");
  }
  for (const auto& item : student_parameters) {
    const torch::Tensor* target = teacher_parameters.find(item.key());
    if (!target || target->sizes() != item.value().sizes()) {
      throw Error(ErrorKind::kInternal, "mean teacher: no matching parameter " + item.key());
    }
    target->mul_(decay).add_(item.value().detach(), 1.0 - decay);
  }
  for (const auto& item : student_buffers) {
    const torch::Tensor* target = teacher_buffers.find(item.key());
    if (!target || target->sizes() != item.value().sizes()) {
      throw Error(ErrorKind::kInternal, "mean teacher: no matching buffer " + item.key());
    }
    target->copy_(item.value());
  }
}

Teacher::Teacher(ModelPtr model, bool mean_teacher, bool flip)
    : model_(std::move(model)), mean_teacher_(mean_teacher), flip_(flip) {
  model_->eval();
  for (auto& parameter : model_->parameters()) parameter.set_requires_grad(false);
}

torch::Tensor Teacher::pseudo_labels(const torch::Tensor& weak_images, const torch::Tensor& tags,
                                     const torch::Tensor& has_tags, const torch::Tensor& has_mask,
                                     double threshold, bool filter_by_tags,
                                     int64_t ignore_index) const {
  torch::NoGradGuard no_grad;
  const torch::Tensor unmasked = (~has_mask.to(torch::kBool)).nonzero().squeeze(1);
  torch::Tensor labels =
      torch::full({weak_images.size(0), weak_images.size(2), weak_images.size(3)}, ignore_index,
                  torch::TensorOptions(torch::kLong).device(weak_images.device()));
  // Photos with masks learn from their masks only: the teacher looks at the others alone.
  if (unmasked.numel() == 0) return labels;
  const torch::Tensor rows = unmasked.to(weak_images.device());
  const torch::Tensor images = weak_images.index_select(0, rows);
  torch::Tensor logits = model_->forward(images);
  if (flip_) logits = (logits + model_->forward(images.flip({3})).flip({3})) * 0.5;
  const torch::Tensor row_tags = tags.index_select(0, unmasked.to(tags.device()));
  torch::Tensor row_tagged = has_tags.index_select(0, unmasked.to(has_tags.device()));
  if (!filter_by_tags) row_tagged = torch::zeros_like(row_tagged);
  labels.index_copy_(
      0, rows,
      tag_filtered_pseudo_labels(logits, row_tags.to(logits.device()),
                                 row_tagged.to(logits.device()), threshold, ignore_index));
  return labels;
}

void Teacher::follow(const torch::nn::Module& student, double decay) {
  if (mean_teacher_) ema_update(*model_, student, decay);
}

void Teacher::save(TrainingState& state) const {
  if (!mean_teacher_) return;
  for (const auto& item : named_state(*model_)) {
    state.tensors["teacher/" + item.key()] = item.value().to(torch::kCPU).clone();
  }
}

void Teacher::restore(const TrainingState& state, const std::string& source) {
  if (!mean_teacher_) return;
  StateDict weights;
  for (const auto& [name, tensor] : state.tensors) {
    if (name.rfind("teacher/", 0) == 0) weights.insert(name.substr(8), tensor);
  }
  if (weights.is_empty()) {
    throw_input_error("the run's checkpoint has no mean-teacher weights to resume with",
                      Location{source, 0, {}});
  }
  LoadStateOptions options;
  options.source = source + " (mean teacher)";
  load_state(*model_, weights, options);
}

double rampup_weight(int64_t step, int64_t ramp_steps, double max_weight) {
  if (ramp_steps <= 0 || step >= ramp_steps) return max_weight;
  const double t =
      std::clamp(static_cast<double>(step) / static_cast<double>(ramp_steps), 0.0, 1.0);
  return max_weight * std::exp(-5.0 * (1.0 - t) * (1.0 - t));
}

}  // namespace fashionseg
