#pragma once
// Learning from photos without masks: image-level category targets and their loss, the
// mean teacher (an exponential moving average of the student), and pseudo-labels that a
// photo's tags filter.

#include <torch/types.h>

#include <cstdint>

namespace torch::nn {
class Module;
}

namespace fashionseg {

/// Multi-hot category targets [B, C] (float 0/1) of label masks [B, H, W] (int64): class c > 0
/// is present when it covers at least `min_area_fraction` of the photo's non-ignored pixels
/// (and at least one pixel), the rule the category lists use. Column 0 (background) is 0.
/// Masks that are all ignore (255) give all-zero rows; callers weigh those rows out.
torch::Tensor category_targets_from_masks(const torch::Tensor& masks, int64_t num_classes,
                                          double min_area_fraction, int64_t ignore_index = 255);

/// Binary cross-entropy with logits of image-level logits [B, C] against targets [B, C],
/// averaged over the elements whose weight [B, C] is positive (column 0, background, is never
/// trained). Returns 0 (connected to the graph) when no element has weight.
torch::Tensor category_loss(const torch::Tensor& image_logits, const torch::Tensor& targets,
                            const torch::Tensor& weights);

/// Pseudo-labels [B, H, W] (int64) from teacher logits [B, C, H, W]. For photos with tags
/// (`has_tags` [B] bool), classes that are neither tagged (`tags` [B, C], multi-hot) nor the
/// background cannot be chosen: the softmax is renormalised over the tagged classes and the
/// background. Pixels whose winning probability is below `threshold` get `ignore_index`.
torch::Tensor tag_filtered_pseudo_labels(const torch::Tensor& teacher_logits,
                                         const torch::Tensor& tags, const torch::Tensor& has_tags,
                                         double threshold, int64_t ignore_index = 255);

/// teacher = decay * teacher + (1 - decay) * student, for every parameter; buffers (BatchNorm
/// statistics) are copied from the student. Both modules must have the same structure; throws
/// Error(kInternal) otherwise. Runs without gradients.
void ema_update(torch::nn::Module& teacher, const torch::nn::Module& student, double decay);

/// The weight of the unlabelled loss at optimizer step `step`: max_weight * exp(-5 (1 - t)^2)
/// with t = step / ramp_steps clipped to [0, 1] (Laine & Aila's sigmoid ramp-up); max_weight
/// once ramp_steps is 0 or passed.
double rampup_weight(int64_t step, int64_t ramp_steps, double max_weight);

}  // namespace fashionseg
