#pragma once
// Learning from photos without masks: image-level category targets and their loss, the
// mean teacher (an exponential moving average of the student), and pseudo-labels that a
// photo's tags filter.

#include <torch/types.h>

#include <cstdint>

#include "fashionseg/torch/checkpoint.h"
#include "fashionseg/torch/model.h"

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

/// The teacher of self-training: a model in eval mode that labels the weak views of photos
/// without masks. A mean teacher follows the student (ema_update after each optimizer step)
/// and travels in the run's training state, so a resumed run continues with the same teacher;
/// a fixed teacher (a checkpoint) never changes.
class Teacher {
 public:
  /// `model` on the training device, in its final memory format. `mean_teacher`: follows
  /// the student. `flip`: averages the logits of each photo and its mirror image.
  Teacher(ModelPtr model, bool mean_teacher, bool flip);

  /// Pseudo-labels [B, H, W] (int64) for `weak_images` [B, 3, H, W]: tag-filtered (when
  /// `filter_by_tags`) and thresholded as tag_filtered_pseudo_labels; rows with a real mask
  /// (`has_mask` [B] bool) are all `ignore_index`.
  torch::Tensor pseudo_labels(const torch::Tensor& weak_images, const torch::Tensor& tags,
                              const torch::Tensor& has_tags, const torch::Tensor& has_mask,
                              double threshold, bool filter_by_tags,
                              int64_t ignore_index = 255) const;

  /// A mean teacher takes one EMA step towards `student`; a fixed one does nothing.
  void follow(const torch::nn::Module& student, double decay);

  /// Stores a mean teacher's weights in `state` (tensors "teacher/<name>"); nothing for a
  /// fixed one.
  void save(TrainingState& state) const;
  /// Restores what save() stored. Throws Error(kInput) naming `source` when a mean teacher's
  /// weights are missing from the state.
  void restore(const TrainingState& state, const std::string& source);

 private:
  ModelPtr model_;
  bool mean_teacher_;
  bool flip_;
};

}  // namespace fashionseg
