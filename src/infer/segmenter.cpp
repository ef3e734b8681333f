#include "fashionseg/segmenter.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "fashionseg/checkpoint.h"
#include "fashionseg/device.h"
#include "fashionseg/error.h"
#include "fashionseg/image_io.h"
#include "fashionseg/models.h"
#include "fashionseg/tensor_image.h"
#include "fashionseg/transforms.h"

namespace fashionseg {
namespace {

namespace F = torch::nn::functional;

void validate(const SegmenterOptions& options) {
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
  if (options.max_logit_values < 1024) throw_config_error("max_logit_values must be >= 1024");
  validate_color_options(options.color_options);
}

cv::Size scaled(cv::Size size, double factor) {
  return {std::max(1, static_cast<int>(std::lround(size.width * factor))),
          std::max(1, static_cast<int>(std::lround(size.height * factor)))};
}

void check_photo(const cv::Mat& rgb) {
  if (rgb.empty() || rgb.type() != CV_8UC3) {
    throw_input_error("a photo must be a non-empty 8-bit 3-channel RGB image");
  }
}

/// Where one photo's logits are computed at one scale.
struct Placement {
  cv::Size fitted;  ///< the photo's size once fitted into the scaled box
  cv::Size canvas;  ///< the padded input (>= fitted, >= the model's box)
};

}  // namespace

struct Segmenter::Impl {
  ModelPtr model;
  Checkpoint checkpoint;  // identity only: weights are released after loading
  torch::Device device = torch::kCPU;
  SegmenterOptions options;
  int64_t parameters = 0;
  bool channels_last = false;

  cv::Size box() const {
    return {static_cast<int>(checkpoint.preprocessing.input_width),
            static_cast<int>(checkpoint.preprocessing.input_height)};
  }
  int64_t classes() const { return static_cast<int64_t>(checkpoint.class_names.size()); }

  /// The model's box times `factor`, or the photo's own size times `factor` for models
  /// trained without a fixed box.
  cv::Size target_box(cv::Size photo, double factor) const {
    const cv::Size model_box = box();
    if (model_box.width <= 0 || model_box.height <= 0) return scaled(photo, factor);
    return scaled(model_box, factor);
  }

  Placement place(cv::Size photo, cv::Size target, cv::Size window) const {
    TransformOptions fit;
    fit.resize = ResizeMode::kFitBox;
    fit.box = target;
    const cv::Size fitted = resized_size(photo, fit);
    return {fitted, {std::max(fitted.width, window.width), std::max(fitted.height, window.height)}};
  }

  /// The normalised input [3, canvas] for a photo placed as `placement` (padding with the
  /// mean colour, so it normalises to ~0).
  torch::Tensor input_tensor(const cv::Mat& rgb, const Placement& placement) const {
    TransformOptions fit;
    fit.resize = ResizeMode::kFitBox;
    fit.box = placement.fitted;
    fit.crop = placement.canvas;
    const ImageMask input = eval_transform(ImageMask{rgb, cv::Mat()}, fit);
    return image_to_tensor(input.image, checkpoint.preprocessing.normalization);
  }

  /// Logits [N, C, h, w] (float, CPU) of a batch [N, 3, h, w], flip-averaged when asked.
  torch::Tensor run(torch::Tensor batch, bool flip) const {
    batch = batch.to(device);
    if (channels_last) batch = batch.contiguous(torch::MemoryFormat::ChannelsLast);
    torch::Tensor logits = model->forward(batch);
    if (flip) logits = (logits + model->forward(batch.flip({3})).flip({3})) * 0.5;
    return logits.to(torch::kCPU, torch::kFloat).contiguous();
  }

  /// Logits [C, fitted] of one photo by box-sized windows over its canvas, overlapping by a
  /// third, averaged where they overlap.
  torch::Tensor windowed_logits(const cv::Mat& rgb, const Placement& placement, cv::Size window,
                                bool flip) const {
    const torch::Tensor canvas = input_tensor(rgb, placement);
    auto starts = [](int length, int size) {
      std::vector<int> positions;
      const int stride = std::max(1, size * 2 / 3);
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
    const torch::Tensor logits = run(torch::stack(tiles), flip);
    torch::Tensor sum = torch::zeros({classes(), placement.canvas.height, placement.canvas.width});
    torch::Tensor count = torch::zeros({1, placement.canvas.height, placement.canvas.width});
    for (size_t i = 0; i < origins.size(); ++i) {
      const auto [x, y] = std::pair{origins[i].x, origins[i].y};
      sum.slice(1, y, y + window.height).slice(2, x, x + window.width) += logits[i];
      count.slice(1, y, y + window.height).slice(2, x, x + window.width) += 1;
    }
    return (sum / count).slice(1, 0, placement.fitted.height).slice(2, 0, placement.fitted.width);
  }

  /// Per photo, logits [C, working size] averaged over the scales.
  std::vector<torch::Tensor> photo_logits(const std::vector<cv::Mat>& photos,
                                          const std::vector<cv::Size>& working,
                                          const SegmenterOptions& options) const {
    std::vector<torch::Tensor> sums(photos.size());
    for (double factor : options.scales) {
      const bool windowed = options.window_scale > 0.0;
      std::vector<torch::Tensor> per_photo(photos.size());
      if (windowed) {
        for (size_t i = 0; i < photos.size(); ++i) {
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
        std::vector<bool> done(photos.size(), false);
        for (size_t first = 0; first < photos.size(); ++first) {
          if (done[first]) continue;
          std::vector<size_t> members;
          std::vector<torch::Tensor> inputs;
          for (size_t i = first; i < photos.size(); ++i) {
            if (done[i] || placements[i].canvas != placements[first].canvas) continue;
            members.push_back(i);
            inputs.push_back(input_tensor(photos[i], placements[i]));
            done[i] = true;
          }
          const torch::Tensor logits = run(torch::stack(inputs), options.flip);
          for (size_t k = 0; k < members.size(); ++k) {
            const Placement& placement = placements[members[k]];
            per_photo[members[k]] = logits[static_cast<int64_t>(k)]
                                        .slice(1, 0, placement.fitted.height)
                                        .slice(2, 0, placement.fitted.width);
          }
        }
      }
      for (size_t i = 0; i < photos.size(); ++i) {
        const torch::Tensor resized =
            F::interpolate(per_photo[i].unsqueeze(0),
                           F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{working[i].height, working[i].width})
                               .mode(torch::kBilinear)
                               .align_corners(false))[0];
        sums[i] = sums[i].defined() ? sums[i] + resized : resized;
      }
    }
    for (auto& sum : sums) sum /= static_cast<double>(options.scales.size());
    return sums;
  }

  /// The size at which logits are upsampled and argmaxed: the photo's own size unless that
  /// would hold more than max_logit_values floats.
  cv::Size working_size(cv::Size photo) const {
    const double values = static_cast<double>(classes()) * photo.area();
    const double limit = static_cast<double>(options.max_logit_values);
    if (values <= limit) return photo;
    return scaled(photo, std::sqrt(limit / values));
  }

  Segmentation finish(const cv::Mat& rgb, const torch::Tensor& logits,
                      const SegmenterOptions& options) const {
    Segmentation result;
    cv::Mat labels = tensor_to_mask(logits.argmax(0));
    if (labels.size() != rgb.size())
      cv::resize(labels, labels, rgb.size(), 0, 0, cv::INTER_NEAREST);
    result.labels = labels;
    if (options.confidence) {
      const torch::Tensor best = std::get<0>(logits.softmax(0).max(0)).contiguous();
      cv::Mat confidence(static_cast<int>(best.size(0)), static_cast<int>(best.size(1)), CV_32FC1,
                         best.data_ptr<float>());
      confidence = confidence.clone();
      if (confidence.size() != rgb.size()) {
        cv::resize(confidence, confidence, rgb.size(), 0, 0, cv::INTER_LINEAR);
      }
      result.confidence = confidence;
    }
    result.categories = find_categories(result.labels, checkpoint.class_names, options.area_rule);
    if (options.colors) {
      add_garment_colors(rgb, result.labels, result.categories, options.color_options);
    }
    return result;
  }
};

Segmenter::Segmenter(const std::filesystem::path& checkpoint, SegmenterOptions options)
    : impl_(std::make_unique<Impl>()) {
  validate(options);
  LoadedModel loaded = load_model(checkpoint);
  impl_->device = parse_device(options.device, "device");
  impl_->model = loaded.model;
  impl_->checkpoint = std::move(loaded.checkpoint);
  impl_->checkpoint.weights.clear();
  impl_->checkpoint.training = {};
  impl_->options = std::move(options);
  impl_->model->to(impl_->device);
  impl_->model->eval();
  impl_->channels_last = impl_->options.channels_last && impl_->device.is_cpu() &&
                         channels_last_helps(impl_->checkpoint.architecture);
  torch::NoGradGuard no_grad;
  for (auto& parameter : impl_->model->parameters()) {
    impl_->parameters += parameter.numel();
    if (impl_->channels_last && parameter.dim() == 4) {
      // NHWC weights let oneDNN skip layout conversions around every convolution.
      parameter.set_data(parameter.data().contiguous(torch::MemoryFormat::ChannelsLast));
    }
  }
  // After the device and layout changes: the folded biases are not registered parameters.
  if (impl_->options.fold_batch_norms) fold_batch_norms(*impl_->model);
}

Segmenter::~Segmenter() = default;
Segmenter::Segmenter(Segmenter&&) noexcept = default;
Segmenter& Segmenter::operator=(Segmenter&&) noexcept = default;

Segmentation Segmenter::segment(const cv::Mat& rgb) const { return segment_batch({rgb})[0]; }

Segmentation Segmenter::segment(const cv::Mat& rgb, const SegmenterOptions& call_options) const {
  validate(call_options);
  check_photo(rgb);
  c10::InferenceMode inference;
  const std::vector<cv::Size> working = {impl_->working_size(rgb.size())};
  const std::vector<torch::Tensor> logits = impl_->photo_logits({rgb}, working, call_options);
  return impl_->finish(rgb, logits[0], call_options);
}

std::vector<Segmentation> Segmenter::segment_batch(const std::vector<cv::Mat>& rgb) const {
  for (const auto& photo : rgb) check_photo(photo);
  c10::InferenceMode inference;
  std::vector<cv::Size> working;
  for (const auto& photo : rgb) working.push_back(impl_->working_size(photo.size()));
  const std::vector<torch::Tensor> logits = impl_->photo_logits(rgb, working, impl_->options);
  std::vector<Segmentation> results;
  for (size_t i = 0; i < rgb.size(); ++i) {
    results.push_back(impl_->finish(rgb[i], logits[i], impl_->options));
  }
  return results;
}

Segmentation Segmenter::segment_encoded(std::string_view bytes, const std::string& name) const {
  return segment(decode_image_rgb(bytes, name));
}

cv::Mat Segmenter::input_logits(const cv::Mat& rgb) const {
  check_photo(rgb);
  c10::InferenceMode inference;
  const cv::Size target = impl_->target_box(rgb.size(), 1.0);
  const Placement placement = impl_->place(rgb.size(), target, target);
  const torch::Tensor logits =
      impl_->run(impl_->input_tensor(rgb, placement).unsqueeze(0), false)[0].contiguous();
  const int sizes[3] = {static_cast<int>(logits.size(0)), static_cast<int>(logits.size(1)),
                        static_cast<int>(logits.size(2))};
  return cv::Mat(3, sizes, CV_32F, logits.data_ptr<float>()).clone();
}

const std::vector<std::string>& Segmenter::class_names() const {
  return impl_->checkpoint.class_names;
}
const std::string& Segmenter::architecture() const { return impl_->checkpoint.architecture; }
cv::Size Segmenter::input_size() const { return impl_->box(); }
int64_t Segmenter::parameters() const { return impl_->parameters; }
const SegmenterOptions& Segmenter::options() const { return impl_->options; }

}  // namespace fashionseg
