#pragma once
/// Scoring a model on photos with known masks through the inference engine, so that what is
/// scored is exactly what predict writes and serve answers for the same photos and options.

#include <cstdint>
#include <vector>

#include "fashionseg/core/progress.h"
#include "fashionseg/data/category_rule.h"
#include "fashionseg/data/dataset_index.h"
#include "fashionseg/data/metrics.h"
#include "fashionseg/torch/data_loader.h"
#include "fashionseg/torch/segmenter.h"

namespace fashionseg {

/// How to evaluate.
struct EvaluationOptions {
  /// The per-call segmentation options: flip, scales, window_scale, and area_rule (the
  /// minimum share of a photo a category must cover, for truth and prediction alike).
  SegmenterOptions segment;
  int batch_size = 4;  ///< photos per forward pass
  int threads = 2;     ///< photos read at once (reading overlaps the model's work)
  /// Score at the model's input size instead of each photo's own: the loader fits photos
  /// and masks into the box (evaluate_batches). Faster; only flip and area_rule apply.
  bool at_model_size = false;
  /// Keep each photo's category evidence (head logits, mask shares) and truth in
  /// EvaluationResult::evidence, for `fashionseg calibrate`.
  bool keep_evidence = false;
};

/// What evaluation accumulates over a dataset.
struct EvaluationResult {
  ConfusionMatrix matrix;            ///< pixels of the photos with masks
  CategoryDetection categories;      ///< decided categories vs the masks' (area rule)
  int64_t images = 0;                ///< photos with masks
  CategoryDetection tag_categories;  ///< decided categories vs the tags of tag-only photos
  int64_t tagged_images = 0;         ///< tag-only photos
  /// With keep_evidence: per photo, in the order of the samples, what
  /// the category decision read and the true categories.
  std::vector<CalibrationPhoto> evidence;
};

/// The photos of a prepared dataset's split that can be scored: those with masks, then (with
/// `with_tags`) those with tags only. Unlabelled photos are left out. Throws Error(kConfig)
/// when none is left.
std::vector<LoaderSample> evaluation_samples(const PreparedDataset& dataset,
                                             const std::string& split, bool with_tags);

/// Scores every photo at its own size: reads each sample's photo as predict does and its
/// mask, segments the photo with `segmenter` under options.segment, and adds the labels to
/// the confusion matrix and the decided categories to the category scores. Pixels labelled
/// 255 are not scored. Samples without a mask but with tags are scored on their categories
/// only (tag_categories). With options.at_model_size, evaluate_batches() on a loader that
/// fits the samples into the model's box instead (masked samples only). Throws
/// Error(kInput) naming the mask when its size differs from its photo's, Error(kConfig) when
/// a sample has neither mask nor tags.
EvaluationResult evaluate_photos(const Segmenter& segmenter,
                                 const std::vector<LoaderSample>& samples,
                                 const EvaluationOptions& options, Progress* progress = nullptr);

/// Scores a loader's batches (photos fitted into the model's box with fit_into_box, masks at
/// that size: a reduced resolution, fast; validation during training uses it) through
/// `engine` (Segmenter::engine(), or one on a model in memory). Of options.segment only flip
/// and area_rule apply. The loader must yield masks.
EvaluationResult evaluate_batches(const InferenceEngine& engine, DataLoader& loader,
                                  const EvaluationOptions& options, Progress* progress = nullptr);

}  // namespace fashionseg
