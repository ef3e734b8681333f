#pragma once
/// Running a model over a data loader and accumulating the metrics of metrics.h.

#include <torch/types.h>

#include "fashionseg/loader.h"
#include "fashionseg/metrics.h"
#include "fashionseg/model.h"
#include "fashionseg/progress.h"

namespace fashionseg {

/// How to evaluate.
struct EvaluationOptions {
  /// Average the logits of the photo and its mirror image (flip test-time augmentation).
  bool flip_tta = false;
  /// Minimum share of a photo a category must cover to count as present (category F1).
  double min_area_fraction = 0.001;
  /// Where the model runs.
  torch::Device device = torch::kCPU;
  /// Score at each photo's original resolution: the logits of the resized photo are cut to
  /// the photo (padding removed), resized bilinearly to the original size, and compared with
  /// the original mask read from the loader's sample list (`original_samples`, the list the
  /// loader was built with). Null: score at the loader's resolution (faster; validation
  /// during training does this).
  const std::vector<LoaderSample>* original_samples = nullptr;
};

/// What evaluation accumulates over a dataset.
struct EvaluationResult {
  ConfusionMatrix matrix;
  CategoryDetection categories;
  int64_t images = 0;
};

/// Logits of the model in eval mode without gradients; with flip TTA the mean of the logits of
/// the batch and of its mirror image (mirrored back).
torch::Tensor predict_logits(SegmentationModel& model, const torch::Tensor& images, bool flip_tta);

/// Runs `model` (switched to eval mode) over every batch of `loader` (which must yield masks)
/// and accumulates the confusion matrix and category detection. Pixels labelled 255 (ignore,
/// including padding) are not scored.
EvaluationResult evaluate_model(SegmentationModel& model, DataLoader& loader, int num_classes,
                                const EvaluationOptions& options, Progress* progress = nullptr);

}  // namespace fashionseg
