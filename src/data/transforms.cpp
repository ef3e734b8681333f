#include "fashionseg/data/transforms.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "fashionseg/core/error.h"
#include "fashionseg/data/random.h"

namespace fashionseg {
namespace {

constexpr double kPi = 3.14159265358979323846;

cv::Scalar pad_scalar(const std::array<uint8_t, 3>& color) {
  return cv::Scalar(color[0], color[1], color[2]);
}

// INTER_AREA averages every source pixel when shrinking (no aliasing); it is no better than
// INTER_LINEAR when enlarging and slower, so it is used only when both sides shrink.
int image_interpolation(cv::Size from, cv::Size to) {
  return (to.width <= from.width && to.height <= from.height) ? cv::INTER_AREA : cv::INTER_LINEAR;
}

// The factor of the deterministic resize.
double resize_factor(cv::Size input, const TransformOptions& options) {
  switch (options.resize) {
    case ResizeMode::kNone:
      return 1.0;
    case ResizeMode::kShortSide:
      return static_cast<double>(options.short_side) / std::min(input.width, input.height);
    case ResizeMode::kFitBox:
      return std::min(static_cast<double>(options.box.width) / input.width,
                      static_cast<double>(options.box.height) / input.height);
  }
  return 1.0;
}

cv::Size scaled_size(cv::Size input, double scale) {
  return {std::max(1, static_cast<int>(std::lround(input.width * scale))),
          std::max(1, static_cast<int>(std::lround(input.height * scale)))};
}

void check_pair(const ImageMask& input) {
  if (input.image.empty() || input.image.type() != CV_8UC3) {
    throw_input_error("transforms expect an 8-bit RGB image");
  }
  if (!input.mask.empty() &&
      (input.mask.type() != CV_8UC1 || input.mask.size() != input.image.size())) {
    throw_input_error("the label mask must be 8-bit single-channel and as large as its image (" +
                      std::to_string(input.image.cols) + "x" + std::to_string(input.image.rows) +
                      "), got " + std::to_string(input.mask.cols) + "x" +
                      std::to_string(input.mask.rows));
  }
}

// One source interval [from, to) of the input under the target interval [lo, hi) of a
// virtual resize from `source` to `target` pixels. Rounded to whole pixels, so the part
// resampled alone can differ from the whole-image resize by a fraction of a pixel; when the
// target interval is the whole image, so is the source interval and the results agree.
std::pair<int, int> source_interval(int lo, int hi, int source, int target) {
  const double factor = static_cast<double>(source) / target;
  const int from = std::clamp(static_cast<int>(std::lround(lo * factor)), 0, source - 1);
  const int to = std::clamp(static_cast<int>(std::lround(hi * factor)), from + 1, source);
  return {from, to};
}

// Writes the part of a virtual resize of `source` to `scaled` that lies under `window` into
// `out` (window-sized, padded beforehand where the window leaves the image).
void resample_window(const cv::Mat& source, cv::Size scaled, const cv::Rect& window, bool is_mask,
                     cv::Mat& out) {
  const cv::Rect valid = window & cv::Rect(cv::Point(0, 0), scaled);
  if (valid.empty()) return;
  const auto [x0, x1] = source_interval(valid.x, valid.x + valid.width, source.cols, scaled.width);
  const auto [y0, y1] =
      source_interval(valid.y, valid.y + valid.height, source.rows, scaled.height);
  const cv::Rect region(x0, y0, x1 - x0, y1 - y0);  // source coordinates
  // A view into the output: resize writes straight into it (create() keeps a buffer of the
  // right size and type), so there is no intermediate image.
  cv::Mat view = out(valid - window.tl());
  if (region.size() == view.size()) {
    source(region).copyTo(view);
  } else {
    const int interpolation =
        is_mask ? cv::INTER_NEAREST : image_interpolation(region.size(), view.size());
    cv::resize(source(region), view, view.size(), 0, 0, interpolation);
  }
}

// A window-sized canvas; filled with the pad value only when padding will show.
cv::Mat canvas(cv::Size size, int type, bool padded, const cv::Scalar& pad) {
  return padded ? cv::Mat(size, type, pad) : cv::Mat(size, type);
}

// The window of a virtual resize of image and mask to `scaled` (the image may be a reduced
// decode of the mask's photo), with the part holding image pixels in window coordinates.
ImageMask crop_window(const cv::Mat& image, const cv::Mat& mask, cv::Size scaled,
                      const cv::Rect& window, const std::array<uint8_t, 3>& pad_color,
                      cv::Rect* valid_out) {
  const cv::Rect valid = window & cv::Rect(cv::Point(0, 0), scaled);
  const bool padded = valid.size() != window.size();
  ImageMask out;
  out.image = canvas(window.size(), CV_8UC3, padded, pad_scalar(pad_color));
  resample_window(image, scaled, window, false, out.image);
  if (!mask.empty()) {
    out.mask = canvas(window.size(), CV_8UC1, padded, cv::Scalar(kMaskPadValue));
    resample_window(mask, scaled, window, true, out.mask);
  }
  if (valid_out) *valid_out = valid.empty() ? cv::Rect() : valid - window.tl();
  return out;
}

// The image may be the mask's photo decoded at 1/2^k size (sides rounded either way).
void check_reduced_pair(const cv::Mat& image, const cv::Mat& mask) {
  if (mask.empty() || image.size() == mask.size()) {
    check_pair({image, mask});
    return;
  }
  if (image.type() != CV_8UC3) throw_input_error("transforms expect an 8-bit RGB image");
  if (mask.type() != CV_8UC1) throw_input_error("a label mask must be 8-bit single-channel");
  for (int reduction : {2, 4, 8}) {
    if (std::abs(image.cols - mask.cols / static_cast<double>(reduction)) <= 1.0 &&
        std::abs(image.rows - mask.rows / static_cast<double>(reduction)) <= 1.0) {
      return;
    }
  }
  check_pair({image, mask});  // throws, naming both sizes
}

// RGB -> YIQ; its luma row is the grey used by saturation and contrast.
const cv::Matx33d kRgbToYiq(0.299, 0.587, 0.114,    //
                            0.596, -0.274, -0.322,  //
                            0.211, -0.523, 0.312);

double factor_from(std::mt19937_64& rng, double strength) {
  return uniform_real(rng, std::max(0.0, 1.0 - strength), 1.0 + strength);
}

}  // namespace

void validate_transform_options(const TransformOptions& o) {
  if (o.resize == ResizeMode::kShortSide && o.short_side <= 0) {
    throw_config_error("resize to a short side needs short_side > 0, got " +
                       std::to_string(o.short_side));
  }
  if (o.resize == ResizeMode::kFitBox && (o.box.width <= 0 || o.box.height <= 0)) {
    throw_config_error("resize to fit a box needs a positive box size");
  }
  if (!(o.scale_min > 0) || !(o.scale_max >= o.scale_min)) {
    throw_config_error("random scale range must satisfy 0 < scale_min <= scale_max, got [" +
                       std::to_string(o.scale_min) + ", " + std::to_string(o.scale_max) + "]");
  }
  if (o.crop.width < 0 || o.crop.height < 0 || ((o.crop.width == 0) != (o.crop.height == 0))) {
    throw_config_error("crop size must be both positive or both 0 (off)");
  }
  if (o.pad_to_multiple < 0) throw_config_error("pad_to_multiple must be >= 0");
  if (!(o.flip_probability >= 0 && o.flip_probability <= 1)) {
    throw_config_error("flip_probability must lie in [0, 1]");
  }
  const auto& j = o.jitter;
  if (!(j.brightness >= 0 && j.contrast >= 0 && j.saturation >= 0 && j.hue >= 0 && j.hue <= 0.5)) {
    throw_config_error("jitter strengths must be >= 0 and hue <= 0.5");
  }
  const auto& z = o.zoom;
  if (!(z.probability >= 0 && z.probability <= 1) || !(z.upper >= 0 && z.upper <= 1)) {
    throw_config_error("zoom and zoom_upper must be probabilities in [0, 1]");
  }
  if (!(z.scale_min > 0) || !(z.scale_max >= z.scale_min)) {
    throw_config_error("zoom range must satisfy 0 < zoom_min <= zoom_max");
  }
  validate_appearance_options(o.appearance);
  validate_background_options(o.background);
  if (o.cutout < 0) throw_config_error("cutout must be >= 0");
}

TransformOptions fit_into_box(cv::Size box, cv::Size canvas) {
  TransformOptions options;
  if (box.width > 0 && box.height > 0) {
    options.resize = ResizeMode::kFitBox;
    options.box = box;
    options.crop = box;
  }
  if (canvas.width > 0 && canvas.height > 0) options.crop = canvas;
  return options;
}

cv::Size resized_size(cv::Size input, const TransformOptions& options) {
  return scaled_size(input, resize_factor(input, options));
}

ImageMask resize_pair(const ImageMask& input, cv::Size size) {
  check_pair(input);
  if (input.image.size() == size) return input;
  ImageMask out;
  cv::resize(input.image, out.image, size, 0, 0, image_interpolation(input.image.size(), size));
  if (!input.mask.empty()) cv::resize(input.mask, out.mask, size, 0, 0, cv::INTER_NEAREST);
  return out;
}

ImageMask flip_horizontal(const ImageMask& input) {
  check_pair(input);
  ImageMask out;
  cv::flip(input.image, out.image, 1);
  if (!input.mask.empty()) cv::flip(input.mask, out.mask, 1);
  return out;
}

ImageMask pad_pair(const ImageMask& input, cv::Size size, const std::array<uint8_t, 3>& pad_color) {
  check_pair(input);
  const int right = size.width - input.image.cols, bottom = size.height - input.image.rows;
  if (right < 0 || bottom < 0) {
    throw_config_error("cannot pad a " + std::to_string(input.image.cols) + "x" +
                           std::to_string(input.image.rows) + " image to the smaller size " +
                           std::to_string(size.width) + "x" + std::to_string(size.height),
                       "resize to fit the box first (ResizeMode::kFitBox)");
  }
  if (right == 0 && bottom == 0) return input;
  ImageMask out;
  cv::copyMakeBorder(input.image, out.image, 0, bottom, 0, right, cv::BORDER_CONSTANT,
                     pad_scalar(pad_color));
  if (!input.mask.empty()) {
    cv::copyMakeBorder(input.mask, out.mask, 0, bottom, 0, right, cv::BORDER_CONSTANT,
                       cv::Scalar(kMaskPadValue));
  }
  return out;
}

ImageMask scale_and_crop(const ImageMask& input, double scale, cv::Point origin, cv::Size crop,
                         const std::array<uint8_t, 3>& pad_color) {
  check_pair(input);
  if (!(scale > 0)) throw_config_error("scale must be positive");
  if (crop.width <= 0 || crop.height <= 0) throw_config_error("crop size must be positive");
  return crop_window(input.image, input.mask, scaled_size(input.image.size(), scale),
                     cv::Rect(origin, crop), pad_color, nullptr);
}

ColorJitterFactors draw_color_jitter(const ColorJitterOptions& options, std::mt19937_64& rng) {
  ColorJitterFactors f;
  if (options.brightness > 0) f.brightness = factor_from(rng, options.brightness);
  if (options.contrast > 0) f.contrast = factor_from(rng, options.contrast);
  if (options.saturation > 0) f.saturation = factor_from(rng, options.saturation);
  if (options.hue > 0) f.hue = uniform_real(rng, -options.hue, options.hue);
  return f;
}

void apply_color_jitter(cv::Mat& rgb, const ColorJitterFactors& f) {
  if (rgb.type() != CV_8UC3) throw_input_error("colour jitter expects an 8-bit RGB image");
  if (rgb.empty()) return;
  // Saturation scales and hue rotates the chroma (I, Q) of YIQ, both keeping the luma: in RGB
  // that is A = T^-1 * diag(1, s R(theta)) * T, which maps grey to itself. Brightness then
  // multiplies everything, and contrast blends with the mean grey m of the brightened image:
  // out = c*b*A*x + (1-c)*b*m, one affine map done by cv::transform in a single pass.
  const double theta = 2.0 * kPi * f.hue;
  const double cs = std::cos(theta) * f.saturation, sn = std::sin(theta) * f.saturation;
  const cv::Matx33d chroma(1, 0, 0,     //
                           0, cs, -sn,  //
                           0, sn, cs);
  const cv::Matx33d a = kRgbToYiq.inv() * chroma * kRgbToYiq;
  double offset = 0.0;
  if (f.contrast != 1.0) {
    const cv::Scalar channel_mean = cv::mean(rgb);
    const double grey = kRgbToYiq(0, 0) * channel_mean[0] + kRgbToYiq(0, 1) * channel_mean[1] +
                        kRgbToYiq(0, 2) * channel_mean[2];
    offset = (1.0 - f.contrast) * f.brightness * grey;
  }
  const double gain = f.contrast * f.brightness;
  cv::Matx34f map;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) map(r, c) = static_cast<float>(gain * a(r, c));
    map(r, 3) = static_cast<float>(offset);
  }
  cv::transform(rgb, rgb, map);
}

cv::Rect labelled_box(const cv::Mat& mask) {
  if (mask.empty()) return {};
  const cv::Mat labelled = (mask != 0) & (mask != kMaskPadValue);
  return cv::boundingRect(labelled);
}

TrainPlan draw_train_plan(cv::Size input, const TransformOptions& options, std::mt19937_64& rng,
                          cv::Rect focus) {
  TrainPlan plan;
  plan.zoomed = options.zoom.probability > 0 && bernoulli(rng, options.zoom.probability);
  double scale = resize_factor(input, options);
  if (plan.zoomed) {
    scale *= uniform_real(rng, options.zoom.scale_min, options.zoom.scale_max);
  } else if (options.scale_max > options.scale_min) {
    scale *= uniform_real(rng, options.scale_min, options.scale_max);
  } else {
    scale *= options.scale_min;
  }
  plan.scaled = scaled_size(input, scale);
  const cv::Size crop = options.crop.width > 0 ? options.crop : plan.scaled;
  const int slack_x = plan.scaled.width - crop.width, slack_y = plan.scaled.height - crop.height;
  cv::Point origin(0, 0);
  if (plan.zoomed) {
    // Centre the window on the focus: its upper part (an upper body) or anywhere (a detail).
    focus &= cv::Rect(cv::Point(0, 0), input);
    if (focus.empty()) focus = cv::Rect(cv::Point(0, 0), input);
    const double sx = static_cast<double>(plan.scaled.width) / input.width;
    const double sy = static_cast<double>(plan.scaled.height) / input.height;
    const bool upper = bernoulli(rng, options.zoom.upper);
    const double cx = uniform_real(rng, focus.x * sx, (focus.x + focus.width) * sx);
    const double cy =
        uniform_real(rng, focus.y * sy, (focus.y + focus.height * (upper ? 0.35 : 1.0)) * sy);
    origin.x = std::clamp(static_cast<int>(std::lround(cx - crop.width / 2.0)),
                          std::min(0, slack_x), std::max(0, slack_x));
    origin.y = std::clamp(static_cast<int>(std::lround(cy - crop.height / 2.0)),
                          std::min(0, slack_y), std::max(0, slack_y));
  } else {
    if (slack_x != 0) {
      origin.x = static_cast<int>(uniform_int(rng, std::min(0, slack_x), std::max(0, slack_x)));
    }
    if (slack_y != 0) {
      origin.y = static_cast<int>(uniform_int(rng, std::min(0, slack_y), std::max(0, slack_y)));
    }
  }
  plan.window = cv::Rect(origin, crop);
  plan.flip = options.flip_probability > 0 && bernoulli(rng, options.flip_probability);
  plan.jitter = options.jitter.enabled();
  if (plan.jitter) plan.jitter_factors = draw_color_jitter(options.jitter, rng);
  if (options.appearance.enabled()) plan.appearance = draw_appearance(options.appearance, rng);
  if (options.background.probability > 0) {
    plan.background = draw_background(options.background, rng);
  }
  return plan;
}

ImageMask apply_train_geometry(const cv::Mat& image, const cv::Mat& mask, const TrainPlan& plan,
                               const TransformOptions& options, cv::Rect* valid_out) {
  check_reduced_pair(image, mask);
  // Crop first: everything after works on the (small) window only.
  cv::Rect valid;
  ImageMask out =
      crop_window(image, mask, plan.scaled, plan.window, options.image_pad_color, &valid);
  if (plan.flip) {
    // In place: OpenCV's flip swaps mirrored pairs, so source and destination may coincide.
    cv::flip(out.image, out.image, 1);
    if (!out.mask.empty()) cv::flip(out.mask, out.mask, 1);
    if (!valid.empty()) valid.x = out.image.cols - valid.x - valid.width;
  }
  if (valid_out) *valid_out = valid;
  return out;
}

void apply_train_photometric(cv::Mat& image, const TrainPlan& plan, const cv::Rect& valid) {
  if (plan.jitter && !valid.empty()) {
    // The jitter is one affine colour map with the part's mean: mirroring does not change it.
    cv::Mat image_part = image(valid);  // padding keeps its colour
    apply_color_jitter(image_part, plan.jitter_factors);
  }
  apply_appearance(image, plan.appearance);
}

ImageMask apply_train_plan(const cv::Mat& image, const cv::Mat& mask, const TrainPlan& plan,
                           const TransformOptions& options, const ImageMask* background_photo) {
  cv::Rect valid;
  ImageMask out = apply_train_geometry(image, mask, plan, options, &valid);
  if (!out.mask.empty() && plan.background.kind != BackgroundKind::kNone) {
    // Padding is background to replace as well: the new background's pixels and labels are
    // known there.
    cv::Mat outside(out.mask.size(), CV_8UC1, cv::Scalar(255));
    if (!valid.empty()) outside(valid).setTo(0);
    out.mask.setTo(0, outside);
    if (plan.background.kind == BackgroundKind::kPhoto && background_photo) {
      replace_background(out.image, out.mask, background_photo->image, background_photo->mask);
    } else {
      BackgroundPlan drawn = plan.background;
      if (drawn.kind == BackgroundKind::kPhoto) drawn.kind = BackgroundKind::kGradient;
      replace_background(out.image, out.mask, render_background(out.image.size(), drawn));
    }
    valid = cv::Rect(cv::Point(0, 0), out.image.size());
  }
  apply_train_photometric(out.image, plan, valid);
  return out;
}

ImageMask train_transform(const ImageMask& input, const TransformOptions& options,
                          std::mt19937_64& rng) {
  check_pair(input);
  const TrainPlan plan = draw_train_plan(input.image.size(), options, rng);
  return apply_train_plan(input.image, input.mask, plan, options);
}

ImageMask eval_transform(const cv::Mat& image, const cv::Mat& mask,
                         const TransformOptions& options) {
  check_reduced_pair(image, mask);
  const cv::Size full = mask.empty() ? image.size() : mask.size();
  const cv::Size target = resized_size(full, options);
  ImageMask out;
  if (image.size() == target) {
    out.image = image;
  } else {
    cv::resize(image, out.image, target, 0, 0, image_interpolation(image.size(), target));
  }
  if (!mask.empty()) {
    if (mask.size() == target) {
      out.mask = mask;
    } else {
      cv::resize(mask, out.mask, target, 0, 0, cv::INTER_NEAREST);
    }
  }
  if (options.crop.width > 0) return pad_pair(out, options.crop, options.image_pad_color);
  if (options.pad_to_multiple > 1) {
    const int m = options.pad_to_multiple;
    const cv::Size padded((target.width + m - 1) / m * m, (target.height + m - 1) / m * m);
    return pad_pair(out, padded, options.image_pad_color);
  }
  return out;
}

ImageMask eval_transform(const ImageMask& input, const TransformOptions& options) {
  check_pair(input);
  return eval_transform(input.image, input.mask, options);
}

}  // namespace fashionseg
