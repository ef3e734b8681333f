#include "infer/engine.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "fashionseg/core/error.h"
#include "fashionseg/data/garment_colors.h"
#include "fashionseg/data/transforms.h"
#include "fashionseg/torch/cpu_autocast.h"
#include "fashionseg/torch/tensor_image.h"
#include "infer/category_decision.h"
#include "infer/upsampled_argmax.h"
#include "models/layers.h"

namespace fashionseg {
namespace {

cv::Size scaled(cv::Size size, double factor) {
  return {std::max(1, static_cast<int>(std::lround(size.width * factor))),
          std::max(1, static_cast<int>(std::lround(size.height * factor)))};
}

void check_photo(const cv::Mat& rgb) {
  if (rgb.empty() || rgb.type() != CV_8UC3) {
    throw_input_error("a photo must be a non-empty 8-bit 3-channel RGB image");
  }
}

/// Logits [C, h, w] resized bilinearly to `size` (unchanged when already that size).
torch::Tensor resize_logits(const torch::Tensor& logits, cv::Size size) {
  return models::resize_bilinear(logits.unsqueeze(0), size.height, size.width)[0];
}

/// A float32 cv::Mat with 3 dimensions holding a [C, H, W] tensor's values.
cv::Mat to_mat3(const torch::Tensor& logits) {
  const torch::Tensor values = logits.to(torch::kCPU, torch::kFloat).contiguous();
  const int sizes[3] = {static_cast<int>(values.size(0)), static_cast<int>(values.size(1)),
                        static_cast<int>(values.size(2))};
  return cv::Mat(3, sizes, CV_32F, values.data_ptr<float>()).clone();
}

bool plain_scales(const SegmenterOptions& options) {
  return options.scales.size() == 1 && options.scales[0] == 1.0;
}

}  // namespace

void validate_segment_options(const SegmenterOptions& options) {
  if (options.scales.empty()) throw_config_error("scales must list at least one factor");
  for (double scale : options.scales) {
    if (!(scale > 0.0 && scale <= 8.0)) {
      throw_config_error("scale " + std::to_string(scale) + " is outside (0, 8]");
    }
  }
  if (options.window_scale != 0.0 &&
      !(options.window_scale >= 1.0 && options.window_scale <= 8.0)) {
    throw_config_error("window scale must be 0 (off) or in [1, 8]");
  }
  const AreaRule& rule = options.area_rule;
  if (!(rule.min_area_fraction >= 0.0 && rule.min_area_fraction < 1.0)) {
    throw_config_error("min area must be in [0, 1)");
  }
  if (!(rule.piece_fraction >= 0.0 && rule.piece_fraction <= 1.0)) {
    throw_config_error("piece fraction must be in [0, 1]");
  }
  validate_color_options(options.color_options);
}

/// Where one photo's logits are computed at one scale.
struct InferenceEngine::Placement {
  cv::Size fitted;  ///< the photo's size once fitted into the scaled box
  cv::Size canvas;  ///< the padded input (>= fitted, >= the window)
};

/// What one forward pass of a batch gives.
struct InferenceEngine::Forward {
  torch::Tensor logits;  ///< [N, C, h, w] float on the CPU, flip-averaged when asked
  torch::Tensor plain;   ///< the model's own output for the batch (on the device, no flip)
  /// [N, C] category head logits, float on the CPU, flip-averaged; undefined without a head.
  torch::Tensor categories;
};

/// One photo's logits at one scale.
struct InferenceEngine::PhotoLogits {
  torch::Tensor pixels;  ///< [C, h, w]
  torch::Tensor head;    ///< [C] or undefined without a head
};

InferenceEngine::InferenceEngine(EngineModel model) : model_(std::move(model)) {
  if (!model_.model) throw_config_error("the inference engine has no model");
  if (model_.class_names.empty()) throw_config_error("the model has no class names");
  if (model_.max_logit_values < 1024) throw_config_error("max_logit_values must be >= 1024");
}

cv::Size InferenceEngine::target_box(cv::Size photo, double factor) const {
  const cv::Size box(static_cast<int>(model_.preprocessing.input_width),
                     static_cast<int>(model_.preprocessing.input_height));
  // Models trained without a fixed box see the photo at its own size (times the factor).
  if (box.width <= 0 || box.height <= 0) return scaled(photo, factor);
  return scaled(box, factor);
}

InferenceEngine::Placement InferenceEngine::place(cv::Size photo, cv::Size target,
                                                  cv::Size window) const {
  const cv::Size fitted = resized_size(photo, fit_into_box(target));
  return {fitted, {std::max(fitted.width, window.width), std::max(fitted.height, window.height)}};
}

torch::Tensor InferenceEngine::input_tensor(const cv::Mat& rgb, const Placement& placement) const {
  // Padding with the mean colour normalises to ~0.
  const ImageMask input =
      eval_transform(ImageMask{rgb, cv::Mat()}, fit_into_box(placement.fitted, placement.canvas));
  return image_to_tensor(input.image, model_.preprocessing.normalization);
}

InferenceEngine::Forward InferenceEngine::run(torch::Tensor batch, bool flip) const {
  batch = batch.to(model_.device);
  if (model_.channels_last) batch = batch.contiguous(torch::MemoryFormat::ChannelsLast);
  Forward out;
  const CpuBf16Autocast autocast(model_.bf16);
  const ModelOutput plain = model_.model->forward_all(batch);
  out.plain = plain.out;
  torch::Tensor logits = plain.out;
  torch::Tensor categories = plain.categories;
  if (flip) {
    const ModelOutput mirrored = model_.model->forward_all(batch.flip({3}));
    logits = (logits + mirrored.out.flip({3})) * 0.5;
    if (categories.defined()) categories = (categories + mirrored.categories) * 0.5;
  }
  out.logits = logits.to(torch::kCPU, torch::kFloat).contiguous();
  if (model_.bf16) out.plain = out.plain.to(torch::kFloat);
  if (categories.defined()) out.categories = categories.to(torch::kCPU, torch::kFloat);
  return out;
}

InferenceEngine::PhotoLogits InferenceEngine::windowed_logits(const cv::Mat& rgb,
                                                              const Placement& placement,
                                                              cv::Size window, bool flip) const {
  const torch::Tensor canvas = input_tensor(rgb, placement);
  auto starts = [](int length, int size) {
    std::vector<int> positions;
    const int stride = std::max(1, size * 2 / 3);  // windows overlap by a third
    for (int p = 0; p + size < length; p += stride) positions.push_back(p);
    positions.push_back(std::max(0, length - size));
    return positions;
  };
  std::vector<torch::Tensor> tiles;
  std::vector<cv::Point> origins;
  for (int y : starts(placement.canvas.height, window.height)) {
    for (int x : starts(placement.canvas.width, window.width)) {
      tiles.push_back(canvas.slice(1, y, y + window.height).slice(2, x, x + window.width));
      origins.emplace_back(x, y);
    }
  }
  const Forward out = run(torch::stack(tiles), flip);
  const torch::Tensor& logits = out.logits;
  const int64_t classes = logits.size(1);
  torch::Tensor sum = torch::zeros({classes, placement.canvas.height, placement.canvas.width});
  torch::Tensor count = torch::zeros({1, placement.canvas.height, placement.canvas.width});
  for (size_t i = 0; i < origins.size(); ++i) {
    const auto [x, y] = std::pair{origins[i].x, origins[i].y};
    sum.slice(1, y, y + window.height).slice(2, x, x + window.width) += logits[i];
    count.slice(1, y, y + window.height).slice(2, x, x + window.width) += 1;
  }
  PhotoLogits result;
  result.pixels =
      (sum / count).slice(1, 0, placement.fitted.height).slice(2, 0, placement.fitted.width);
  // Each window sees part of the photo; the head's verdict is their mean.
  if (out.categories.defined()) result.head = out.categories.mean(0);
  return result;
}

cv::Size InferenceEngine::working_size(cv::Size photo) const {
  // Logits of tens of megapixels would not fit: argmax at a proportionally reduced size.
  const double values = static_cast<double>(model_.class_names.size()) * photo.area();
  const double limit = static_cast<double>(model_.max_logit_values);
  if (values <= limit) return photo;
  return scaled(photo, std::sqrt(limit / values));
}

Segmentation InferenceEngine::finish(const torch::Tensor& logits, const torch::Tensor& head_logits,
                                     cv::Size working, cv::Size photo,
                                     const SegmenterOptions& options) const {
  Segmentation result;
  const bool has_head = head_logits.defined();
  const bool resized = working != photo;
  // Without a head, a category's confidence is its pixels' mean winning probability: only the
  // pixels of categories need it (a tenth of a street photo), unless the caller wants every
  // pixel's probability anyway or the map is resized to the photo (which blends neighbours).
  const bool pixel_mean_confidence = !has_head && options.category_confidence;
  WinnerProbability which = WinnerProbability::kNone;
  if (options.confidence || (pixel_mean_confidence && resized)) {
    which = WinnerProbability::kAll;
  } else if (pixel_mean_confidence) {
    which = WinnerProbability::kForeground;
  }
  UpsampledArgmax winners = upsampled_argmax(logits, working, which);
  if (resized) {
    cv::resize(winners.labels, winners.labels, photo, 0, 0, cv::INTER_NEAREST);
    if (!winners.probability.empty()) {
      cv::resize(winners.probability, winners.probability, photo, 0, 0, cv::INTER_LINEAR);
    }
  }
  result.labels = winners.labels;
  std::vector<double> head;
  if (has_head) {
    const torch::Tensor values = head_logits.to(torch::kDouble).contiguous();
    head.assign(values.data_ptr<double>(), values.data_ptr<double>() + values.numel());
  }
  MaskContents contents = decide_categories(
      CategoryEvidence{result.labels, head,
                       pixel_mean_confidence ? winners.probability : cv::Mat()},
      model_.class_names, CategoryRule{options.area_rule, model_.category_rule}, options.pieces);
  result.categories = std::move(contents.categories);
  result.pieces = std::move(contents.pieces);
  result.head_logits = std::move(head);
  if (options.confidence) result.confidence = winners.probability;
  return result;
}

std::vector<Segmentation> InferenceEngine::segment(const std::vector<cv::Mat>& photos,
                                                   const SegmenterOptions& options) const {
  validate_segment_options(options);
  for (const auto& photo : photos) check_photo(photo);
  c10::InferenceMode inference;
  const size_t n = photos.size();
  std::vector<cv::Size> working;
  for (const auto& photo : photos) working.push_back(working_size(photo.size()));
  std::vector<torch::Tensor> sums(n), head_sums(n), input_logits(n);
  const bool windowed = options.window_scale > 0.0;
  const bool multi_scale = options.scales.size() > 1;
  for (double factor : options.scales) {
    std::vector<PhotoLogits> per_photo(n);  // [C, fitted] each
    if (windowed) {
      for (size_t i = 0; i < n; ++i) {
        const cv::Size window = target_box(photos[i].size(), factor);
        const Placement placement =
            place(photos[i].size(), scaled(window, options.window_scale), window);
        per_photo[i] = windowed_logits(photos[i], placement, window, options.flip);
      }
    } else {
      // Photos fitted into the same box pad to the same canvas: one batch per canvas size.
      std::vector<Placement> placements;
      for (const auto& photo : photos) {
        const cv::Size target = target_box(photo.size(), factor);
        placements.push_back(place(photo.size(), target, target));
      }
      std::vector<bool> done(n, false);
      for (size_t first = 0; first < n; ++first) {
        if (done[first]) continue;
        std::vector<size_t> members;
        std::vector<torch::Tensor> inputs;
        for (size_t i = first; i < n; ++i) {
          if (done[i] || placements[i].canvas != placements[first].canvas) continue;
          members.push_back(i);
          inputs.push_back(input_tensor(photos[i], placements[i]));
          done[i] = true;
        }
        const Forward out = run(torch::stack(inputs), options.flip);
        for (size_t k = 0; k < members.size(); ++k) {
          const size_t i = members[k];
          const auto row = static_cast<int64_t>(k);
          per_photo[i].pixels = out.logits[row]
                                    .slice(1, 0, placements[i].fitted.height)
                                    .slice(2, 0, placements[i].fitted.width);
          if (out.categories.defined()) per_photo[i].head = out.categories[row];
          if (options.input_logits && factor == 1.0) input_logits[i] = out.plain[row];
        }
      }
    }
    for (size_t i = 0; i < n; ++i) {
      // One scale: its logits go to finish as they are (resized there, while taking the
      // argmax); several are averaged at the working size.
      const torch::Tensor& pixels = per_photo[i].pixels;
      const torch::Tensor resized = multi_scale ? resize_logits(pixels, working[i]) : pixels;
      sums[i] = sums[i].defined() ? sums[i] + resized : resized;
      const torch::Tensor& head = per_photo[i].head;
      if (head.defined()) head_sums[i] = head_sums[i].defined() ? head_sums[i] + head : head;
    }
  }
  std::vector<Segmentation> results;
  for (size_t i = 0; i < n; ++i) {
    // The mean over scales, in place: the logits are photo-sized (classes x height x width),
    // and with one scale there is nothing to divide.
    const auto count = static_cast<double>(options.scales.size());
    const torch::Tensor logits = count > 1 ? sums[i].div_(count) : sums[i];
    const torch::Tensor head = head_sums[i].defined() ? head_sums[i] / count : torch::Tensor();
    results.push_back(finish(logits, head, working[i], photos[i].size(), options));
    if (options.colors) {
      add_garment_colors(photos[i], results.back().labels, results.back().categories,
                         options.color_options);
    }
    if (!options.input_logits) continue;
    if (!input_logits[i].defined()) {  // no plain pass among the scales: one more
      const cv::Size target = target_box(photos[i].size(), 1.0);
      const Placement placement = place(photos[i].size(), target, target);
      input_logits[i] = run(input_tensor(photos[i], placement).unsqueeze(0), false).plain[0];
    }
    results.back().input_logits = to_mat3(input_logits[i]);
  }
  return results;
}

std::vector<Segmentation> InferenceEngine::segment_placed(const torch::Tensor& images,
                                                          const std::vector<cv::Size>& fitted,
                                                          const SegmenterOptions& options) const {
  validate_segment_options(options);
  if (!plain_scales(options) || options.window_scale > 0.0) {
    throw_config_error("placed inputs are segmented at scale 1 without a window",
                       "segment the photos themselves for --scales or --window");
  }
  if (images.dim() != 4 || images.size(0) != static_cast<int64_t>(fitted.size())) {
    throw_config_error("placed inputs need one fitted size per image");
  }
  c10::InferenceMode inference;
  const Forward out = run(images, options.flip);
  std::vector<Segmentation> results;
  for (size_t i = 0; i < fitted.size(); ++i) {
    const auto row = static_cast<int64_t>(i);
    if (fitted[i].height > out.logits.size(2) || fitted[i].width > out.logits.size(3)) {
      throw_config_error("a fitted size is larger than its canvas");
    }
    const torch::Tensor logits =
        out.logits[row].slice(1, 0, fitted[i].height).slice(2, 0, fitted[i].width);
    const torch::Tensor head = out.categories.defined() ? out.categories[row] : torch::Tensor();
    results.push_back(finish(logits, head, working_size(fitted[i]), fitted[i], options));
    if (options.input_logits) results.back().input_logits = to_mat3(out.plain[row]);
  }
  return results;
}

}  // namespace fashionseg
