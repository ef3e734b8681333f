#pragma once
/// The library's front door: load a checkpoint once, then segment photos (cv::Mat or encoded
/// bytes) into a label mask and the list of categories found. No torch types in this header,
/// so programs that only segment compile against OpenCV and the standard library. The work is
/// done by the one inference engine (src/infer/engine.h) that every command uses.
///
///   fashionseg::Segmenter segmenter("model.fsm");
///   fashionseg::Segmentation result = segmenter.segment(rgb);
///   for (const auto& c : result.categories) std::cout << c.name << " " << c.share << "\n";
///
/// Thread safety: a Segmenter is immutable after construction; any number of threads may call
/// segment() on one instance at the same time.

#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fashionseg/data/found_categories.h"
#include "fashionseg/data/garment_colors.h"
#include "fashionseg/data/segmentation.h"

namespace fashionseg {

/// How photos are segmented.
struct SegmenterOptions {
  std::string device = "cpu";  ///< cpu, cuda or cuda:N
  bool flip = false;           ///< average with the mirrored photo (flip test-time augmentation)
  /// Multi-scale test-time augmentation: factors of the model's input box; logits averaged.
  std::vector<double> scales = {1.0};
  /// Sliding window: 0 = off (the whole photo is fitted into the model's input box). s > 1 =
  /// the photo is fitted into s times the box and covered by box-sized windows overlapping
  /// by a third, whose logits are averaged: finer detail on large photos, s*s times slower.
  double window_scale = 0.0;
  AreaRule area_rule;       ///< which categories and pieces count
  bool confidence = false;  ///< also return the winning class's probability per pixel
  /// Fill FoundCategory::confidence. For a model without a category head that takes a softmax
  /// over the category pixels; `evaluate`, whose scores do not read it, turns it off.
  bool category_confidence = true;
  /// Also find each category's dominant colours (FoundCategory::colors, garment_colors.h).
  bool colors = true;
  ColorOptions color_options;  ///< how the colours are found
  bool pieces = false;         ///< also return the connected pieces of each category
  /// Also return the raw logits of the photo fitted into the model's box and padded, as the
  /// model returns them (Segmentation::input_logits). Taken from the segmentation's own
  /// forward pass when it has a plain one (no window, a scale of 1); otherwise one more pass.
  bool input_logits = false;
  /// NHWC tensors on the CPU for the architectures that run faster so
  /// (ModelInfo::prefers_channels_last in model_registry.h: the MobileNetV3 models); false = NCHW
  /// always.
  bool channels_last = true;
  /// fp32, bf16 (autocast: convolutions and matrix products in bfloat16) or auto (bf16 where
  /// the CPU computes it natively and the architecture gains from it;
  /// fashionseg/core/precision.h). Masks agree with fp32 on over 99% of pixels
  /// (docs/model-card.md).
  std::string precision = "auto";
  /// Fold each batch normalisation into the convolution before it once, at load
  /// (fold_batch_norms in model_registry.h): same masks, one pass less over each feature map.
  bool fold_batch_norms = true;
  /// In bf16 on the CPU, run ResNet-50's and ASPP's convolutions through oneDNN directly, with
  /// packed weights, their ReLU and residual add fused, and Winograd for the larger 3x3 ones
  /// (fuse_convolutions in model_registry.h; needs fold_batch_norms). Not bit-identical to
  /// LibTorch's bf16 path: logits within 2% of their range, masks agreeing on at least 99% of
  /// pixels (tests/models/fused_convolution_test.cpp).
  bool fuse_convolutions = true;
  /// Upper bound on logits kept at output resolution (classes x height x width floats). Above
  /// it (photos of tens of megapixels), the argmax runs at a proportionally reduced size and
  /// the mask is scaled to the photo with nearest-neighbour.
  int64_t max_logit_values = int64_t{1} << 27;
};

class InferenceEngine;

/// A model loaded for inference.
class Segmenter {
 public:
  /// Loads a checkpoint (.fsm). Throws Error(kNotFound/kInput) naming the file, and
  /// Error(kConfig) for an unavailable device or invalid options.
  explicit Segmenter(const std::filesystem::path& checkpoint, SegmenterOptions options = {});
  ~Segmenter();
  Segmenter(Segmenter&&) noexcept;
  Segmenter& operator=(Segmenter&&) noexcept;

  /// Segments an 8-bit RGB photo (CV_8UC3) of any size.
  Segmentation segment(const cv::Mat& rgb) const;
  /// Same, with this call's options (flip, scales, window_scale, area_rule, confidence,
  /// pieces, input_logits, colors, color_options) instead of the instance's; device,
  /// precision, channels_last, fold_batch_norms and max_logit_values stay the instance's. Start
  /// from options() and change what the call needs, e.g. flip and min area for one request of a
  /// service. Throws Error(kConfig) for invalid options.
  Segmentation segment(const cv::Mat& rgb, const SegmenterOptions& call_options) const;
  /// Segments several photos, batching the model's work where their input boxes agree.
  std::vector<Segmentation> segment_batch(const std::vector<cv::Mat>& rgb) const;
  /// The same with this call's options (see segment()).
  std::vector<Segmentation> segment_batch(const std::vector<cv::Mat>& rgb,
                                          const SegmenterOptions& call_options) const;
  /// Decodes (JPEG/PNG/..., EXIF orientation applied) and segments; `name` appears in errors.
  Segmentation segment_encoded(std::string_view bytes, const std::string& name = "image") const;

  /// Class names, index = label value (0 = background).
  const std::vector<std::string>& class_names() const;
  /// Registered architecture name, e.g. "lraspp_mobilenet_v3_large".
  const std::string& architecture() const;
  /// The model's input box (width x height); 0 x 0 when the model takes any size.
  cv::Size input_size() const;
  /// Trainable parameters.
  int64_t parameters() const;
  /// Whether the model runs in bf16 (options().precision resolved for this CPU and model).
  bool bf16() const;
  /// Whether the model has an image-level category head.
  bool has_category_head() const;
  /// Whether its category rule was calibrated (`fashionseg calibrate`); false without a head.
  bool calibrated_categories() const;
  /// The options in effect.
  const SegmenterOptions& options() const;
  /// The engine that does the work (src/infer/engine.h), for code in the torch library that
  /// needs more than photos in and masks out (evaluation on prepared batches).
  const InferenceEngine& engine() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fashionseg
