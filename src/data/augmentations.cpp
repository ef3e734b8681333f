#include "fashionseg/data/augmentations.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "fashionseg/core/error.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/data/random.h"

namespace fashionseg {
namespace {

void require_probability(double p, const std::string& name) {
  if (!(p >= 0 && p <= 1)) throw_config_error(name + " must be a probability in [0, 1]");
}

uint8_t random_channel(std::mt19937_64& rng, int low, int high) {
  return static_cast<uint8_t>(uniform_int(rng, low, high));
}

// A studio or shop-page colour most of the time (light, nearly grey), any colour otherwise.
cv::Vec3b draw_color(std::mt19937_64& rng) {
  if (bernoulli(rng, 0.7)) {
    const int level = static_cast<int>(uniform_int(rng, 170, 255));
    cv::Vec3b color;
    for (int c = 0; c < 3; ++c) {
      color[c] = static_cast<uint8_t>(
          std::clamp(level + static_cast<int>(uniform_int(rng, -12, 12)), 0, 255));
    }
    return color;
  }
  return {random_channel(rng, 0, 255), random_channel(rng, 0, 255), random_channel(rng, 0, 255)};
}

}  // namespace

void validate_appearance_options(const AppearanceOptions& o) {
  require_probability(o.grayscale, "grayscale");
  require_probability(o.blur, "blur");
  require_probability(o.jpeg, "jpeg");
  if (!(o.blur_sigma >= 0.5)) throw_config_error("blur_sigma must be >= 0.5 pixels");
  if (o.jpeg_quality < 1 || o.jpeg_quality > 95) {
    throw_config_error("jpeg_quality must lie in [1, 95]");
  }
  if (!(o.gamma >= 0)) throw_config_error("gamma must be >= 0");
  if (!(o.color_cast >= 0 && o.color_cast < 1)) throw_config_error("color_cast must lie in [0, 1)");
}

AppearancePlan draw_appearance(const AppearanceOptions& o, std::mt19937_64& rng) {
  AppearancePlan plan;
  if (o.gamma > 0) plan.gamma = std::exp(uniform_real(rng, -1, 1) * std::log1p(o.gamma));
  if (o.color_cast > 0) {
    for (double& gain : plan.gains) gain = uniform_real(rng, 1 - o.color_cast, 1 + o.color_cast);
  }
  if (o.grayscale > 0) plan.grayscale = bernoulli(rng, o.grayscale);
  if (o.blur > 0 && bernoulli(rng, o.blur)) plan.blur_sigma = uniform_real(rng, 0.5, o.blur_sigma);
  if (o.jpeg > 0 && bernoulli(rng, o.jpeg)) {
    plan.jpeg_quality = static_cast<int>(uniform_int(rng, o.jpeg_quality, 95));
  }
  return plan;
}

void apply_appearance(cv::Mat& rgb, const AppearancePlan& plan) {
  if (rgb.type() != CV_8UC3) throw_input_error("appearance changes expect an 8-bit RGB image");
  if (rgb.empty()) return;
  if (plan.gamma != 1.0 || plan.gains != std::array<double, 3>{1.0, 1.0, 1.0}) {
    // One table per channel: gain * 255 * (x / 255)^gamma.
    cv::Mat table(1, 256, CV_8UC3);
    for (int x = 0; x < 256; ++x) {
      const double curved = 255.0 * std::pow(x / 255.0, plan.gamma);
      for (int c = 0; c < 3; ++c) {
        table.at<cv::Vec3b>(0, x)[c] = cv::saturate_cast<uint8_t>(plan.gains[c] * curved);
      }
    }
    cv::LUT(rgb, table, rgb);
  }
  if (plan.grayscale) {
    cv::Mat grey;
    cv::cvtColor(rgb, grey, cv::COLOR_RGB2GRAY);
    cv::cvtColor(grey, rgb, cv::COLOR_GRAY2RGB);
  }
  if (plan.blur_sigma > 0) cv::GaussianBlur(rgb, rgb, cv::Size(0, 0), plan.blur_sigma);
  if (plan.jpeg_quality > 0) {
    const std::vector<unsigned char> bytes = encode_jpeg(rgb, plan.jpeg_quality);
    decode_image_rgb(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                     "re-compressed sample")
        .copyTo(rgb);
  }
}

void validate_background_options(const BackgroundOptions& o) {
  require_probability(o.probability, "background");
  require_probability(o.photo_share, "background_photo");
}

BackgroundPlan draw_background(const BackgroundOptions& o, std::mt19937_64& rng) {
  BackgroundPlan plan;
  if (!(o.probability > 0) || !bernoulli(rng, o.probability)) return plan;
  if (bernoulli(rng, o.photo_share)) {
    plan.kind = BackgroundKind::kPhoto;
    plan.photo_seed = rng();
    return plan;
  }
  plan.kind = bernoulli(rng, 0.5) ? BackgroundKind::kPlain : BackgroundKind::kGradient;
  plan.first = draw_color(rng);
  if (plan.kind == BackgroundKind::kGradient) {
    plan.second = draw_color(rng);
    plan.angle = uniform_real(rng, 0, 2 * 3.14159265358979323846);
  }
  return plan;
}

cv::Mat render_background(cv::Size size, const BackgroundPlan& plan) {
  if (plan.kind == BackgroundKind::kPlain) return cv::Mat(size, CV_8UC3, cv::Scalar(plan.first));
  if (plan.kind != BackgroundKind::kGradient) {
    throw Error(ErrorKind::kInternal, "render_background draws plain colours and gradients only");
  }
  // t runs from 0 to 1 across the image along the gradient's direction.
  const double dx = std::cos(plan.angle), dy = std::sin(plan.angle);
  const double cx = (size.width - 1) / 2.0, cy = (size.height - 1) / 2.0;
  const double half = std::abs(dx) * cx + std::abs(dy) * cy;
  cv::Mat out(size, CV_8UC3);
  for (int y = 0; y < size.height; ++y) {
    auto* row = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < size.width; ++x) {
      const double t = half > 0 ? 0.5 + ((x - cx) * dx + (y - cy) * dy) / (2 * half) : 0.0;
      for (int c = 0; c < 3; ++c) {
        row[x][c] = cv::saturate_cast<uint8_t>(plan.first[c] * (1 - t) + plan.second[c] * t);
      }
    }
  }
  return out;
}

void replace_background(cv::Mat& image, cv::Mat& mask, const cv::Mat& background,
                        const cv::Mat& background_mask) {
  if (image.type() != CV_8UC3 || background.type() != CV_8UC3 || mask.type() != CV_8UC1 ||
      image.size() != mask.size() || image.size() != background.size() ||
      (!background_mask.empty() &&
       (background_mask.type() != CV_8UC1 || background_mask.size() != image.size()))) {
    throw_input_error(
        "background replacement needs an RGB image, its mask and a background of "
        "the same size");
  }
  // The person's share of each pixel, softened over one pixel at the outline.
  cv::Mat keep;
  cv::Mat(mask != 0).convertTo(keep, CV_32F, 1.0 / 255.0);
  cv::blur(keep, keep, cv::Size(3, 3));
  for (int y = 0; y < image.rows; ++y) {
    auto* pixel = image.ptr<cv::Vec3b>(y);
    const auto* back = background.ptr<cv::Vec3b>(y);
    const float* share = keep.ptr<float>(y);
    uint8_t* label = mask.ptr<uint8_t>(y);
    const uint8_t* back_label = background_mask.empty() ? nullptr : background_mask.ptr<uint8_t>(y);
    for (int x = 0; x < image.cols; ++x) {
      const float a = share[x];
      if (a < 1.0f) {
        for (int c = 0; c < 3; ++c) {
          pixel[x][c] = cv::saturate_cast<uint8_t>(a * pixel[x][c] + (1.0f - a) * back[x][c]);
        }
      }
      if (label[x] == 0) label[x] = back_label ? back_label[x] : 0;
    }
  }
}

std::vector<cv::Rect> draw_cutouts(cv::Size size, int max_count, std::mt19937_64& rng) {
  std::vector<cv::Rect> rects;
  if (max_count <= 0 || size.width < 1 || size.height < 1) return rects;
  const int64_t count = uniform_int(rng, 1, max_count);
  for (int64_t k = 0; k < count; ++k) {
    const int w =
        std::max(1, static_cast<int>(std::lround(uniform_real(rng, 0.1, 0.4) * size.width)));
    const int h =
        std::max(1, static_cast<int>(std::lround(uniform_real(rng, 0.1, 0.4) * size.height)));
    const int x = static_cast<int>(uniform_int(rng, 0, size.width - w));
    const int y = static_cast<int>(uniform_int(rng, 0, size.height - h));
    rects.emplace_back(x, y, w, h);
  }
  return rects;
}

void apply_cutouts(cv::Mat& rgb, const std::vector<cv::Rect>& rects,
                   const std::array<uint8_t, 3>& color) {
  const cv::Rect bounds(0, 0, rgb.cols, rgb.rows);
  for (const cv::Rect& rect : rects) {
    rgb(rect & bounds).setTo(cv::Scalar(color[0], color[1], color[2]));
  }
}

}  // namespace fashionseg
