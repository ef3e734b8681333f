#pragma once
/// The one inference path. Every command that segments (predict, serve, evaluate, report,
/// bench --photo, the library's Segmenter) and validation during training run photos through
/// an InferenceEngine. A photo's way to the model and back, all in engine.cpp:
///   1. place: fit into the model's box times the scale, pad right/bottom (fit_into_box);
///   2. forward: photos whose canvases agree share a batch; flip averages with the mirrored
///      batch; a sliding window covers a canvas larger than the box with box-sized windows;
///   3. un-pad: the logits are cut to the fitted photo;
///   4. resize back to the photo (bilinear) and average over the scales;
///   5. argmax (and the winning class's probability), nearest-neighbour to the photo's size
///      when the logits were kept smaller (max_logit_values). With one scale, steps 4 and 5
///      are one pass that never holds photo-sized logits (upsampled_argmax.h);
///   6. decide the categories, their confidence and pieces once (decide_categories,
///      category_decision.h), from the mask and, for a model with a category head, the head's
///      logits averaged over the same flips, scales and windows as the pixel logits.

#include <torch/types.h>

#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "fashionseg/torch/checkpoint.h"
#include "fashionseg/torch/model.h"
#include "fashionseg/torch/segmenter.h"

namespace fashionseg {

/// What an engine runs and how photos are prepared for it.
struct EngineModel {
  /// In eval mode, on `device`, its weights already in their final memory format (and batch
  /// norms folded, for a served model). The engine never changes it.
  ModelPtr model;
  Preprocessing preprocessing;           ///< the input box (0 x 0 = any size), normalisation
  std::vector<std::string> class_names;  ///< index = label value
  torch::Device device = torch::kCPU;
  bool channels_last = false;  ///< feed NHWC inputs (for a model whose weights are NHWC)
  bool bf16 = false;           ///< forward passes in bf16 autocast (CPU)
  /// Upper bound on logits kept at output resolution (see SegmenterOptions).
  int64_t max_logit_values = int64_t{1} << 27;
  /// The model's calibrated category rule (Checkpoint::category_rule); empty = none stored.
  CategoryThresholds category_rule;
};

/// Segments photos with a model. Immutable: any number of threads may call it at once (on a
/// model no one trains meanwhile).
class InferenceEngine {
 public:
  /// Throws Error(kConfig) for max_logit_values < 1024 or an empty class list.
  explicit InferenceEngine(EngineModel model);

  /// Segments 8-bit RGB photos (CV_8UC3) of any size under `options`' per-call fields (flip,
  /// scales, window_scale, area_rule, confidence, pieces, input_logits). Throws
  /// Error(kConfig) for invalid options, Error(kInput) for a photo that is not 8-bit RGB.
  std::vector<Segmentation> segment(const std::vector<cv::Mat>& photos,
                                    const SegmenterOptions& options) const;

  /// Segments inputs that are already placed (a loader's evaluation batch, prepared with
  /// fit_into_box(box) and normalised as the model expects): `images` [N, 3, H, W], `fitted`
  /// the size of each photo inside its padded canvas. Steps 2 to 6 above at the fitted size
  /// (labels are fitted[i] large). Only flip applies: throws Error(kConfig) for scales other
  /// than {1} or a window.
  std::vector<Segmentation> segment_placed(const torch::Tensor& images,
                                           const std::vector<cv::Size>& fitted,
                                           const SegmenterOptions& options) const;

  const EngineModel& model() const { return model_; }

 private:
  struct Placement;
  struct Forward;
  struct PhotoLogits;
  cv::Size target_box(cv::Size photo, double factor) const;
  Placement place(cv::Size photo, cv::Size target, cv::Size window) const;
  torch::Tensor input_tensor(const cv::Mat& rgb, const Placement& placement) const;
  Forward run(torch::Tensor batch, bool flip) const;
  PhotoLogits windowed_logits(const cv::Mat& rgb, const Placement& placement, cv::Size window,
                              bool flip) const;
  cv::Size working_size(cv::Size photo) const;
  /// Steps 4 (for one scale) to 6: `logits` [C, h, w] at any size, resized to `working`
  /// while taking the argmax (upsampled_argmax.h), labels then brought to `photo`'s size.
  Segmentation finish(const torch::Tensor& logits, const torch::Tensor& head_logits,
                      cv::Size working, cv::Size photo, const SegmenterOptions& options) const;

  EngineModel model_;
};

/// Throws Error(kConfig) naming the bad field of `options`' per-call part (scales, window,
/// area rule).
void validate_segment_options(const SegmenterOptions& options);

}  // namespace fashionseg
