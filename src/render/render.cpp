#include "fashionseg/data/render.h"

#include <opencv2/imgproc.hpp>

#include "fashionseg/core/error.h"

namespace fashionseg {
namespace {

std::array<uint8_t, 3> hsv_to_rgb(double h, double s, double v) {
  const double c = v * s;
  const double x = c * (1 - std::abs(std::fmod(h / 60.0, 2) - 1));
  const double m = v - c;
  double r = 0, g = 0, b = 0;
  if (h < 60) {
    r = c, g = x;
  } else if (h < 120) {
    r = x, g = c;
  } else if (h < 180) {
    g = c, b = x;
  } else if (h < 240) {
    g = x, b = c;
  } else if (h < 300) {
    r = x, b = c;
  } else {
    r = c, b = x;
  }
  auto to8 = [&](double channel) { return static_cast<uint8_t>(std::lround((channel + m) * 255)); };
  return {to8(r), to8(g), to8(b)};
}

}  // namespace

std::array<uint8_t, 3> label_color(int value) {
  if (value <= 0) return {0, 0, 0};
  if (value >= 255) return {255, 255, 255};
  // Golden-angle hue steps keep neighbouring labels (e.g. shirt and top) far apart; three
  // saturation/value levels separate labels whose hues come close.
  const double hue = std::fmod((value - 1) * 137.508, 360.0);
  static const double kSaturation[3] = {0.85, 0.6, 0.95};
  static const double kValue[3] = {0.95, 0.8, 0.65};
  const int level = (value - 1) % 3;
  return hsv_to_rgb(hue, kSaturation[level], kValue[level]);
}

cv::Mat colorize_mask(const cv::Mat& labels) {
  if (labels.type() != CV_8UC1) throw_input_error("colorize_mask needs an 8-bit label mask");
  cv::Mat lut(1, 256, CV_8UC3);
  for (int v = 0; v < 256; ++v) {
    const auto c = label_color(v);
    lut.at<cv::Vec3b>(0, v) = cv::Vec3b(c[0], c[1], c[2]);
  }
  cv::Mat three;
  cv::cvtColor(labels, three, cv::COLOR_GRAY2RGB);
  cv::Mat colours;
  cv::LUT(three, lut, colours);
  return colours;
}

cv::Mat overlay_mask(const cv::Mat& rgb, const cv::Mat& labels, double opacity) {
  if (rgb.type() != CV_8UC3 || labels.type() != CV_8UC1 || rgb.size() != labels.size()) {
    throw_input_error("overlay_mask needs an RGB photo and a label mask of the same size");
  }
  const cv::Mat colours = colorize_mask(labels);
  cv::Mat blended;
  cv::addWeighted(rgb, 1.0 - opacity, colours, opacity, 0.0, blended);
  const cv::Mat keep_photo = (labels == 0) | (labels == 255);
  rgb.copyTo(blended, keep_photo);
  return blended;
}

cv::Mat draw_legend(const std::vector<int>& values, const std::vector<std::string>& names,
                    int width) {
  const int row = 22;
  std::vector<std::string> texts;
  for (int value : values) {
    texts.push_back(value >= 0 && value < static_cast<int>(names.size())
                        ? names[value]
                        : "class " + std::to_string(value));
    // Wider than asked when a name needs it (names may carry the garment's colours).
    int baseline = 0;
    const cv::Size text =
        cv::getTextSize(texts.back(), cv::FONT_HERSHEY_SIMPLEX, 0.45, 1, &baseline);
    width = std::max(width, 28 + text.width + 8);
  }
  cv::Mat legend(std::max<int>(1, static_cast<int>(values.size())) * row + 8, width, CV_8UC3,
                 cv::Scalar(255, 255, 255));
  for (size_t i = 0; i < values.size(); ++i) {
    const int y = 4 + static_cast<int>(i) * row;
    const auto c = label_color(values[i]);
    cv::rectangle(legend, cv::Rect(6, y + 3, 16, 16), cv::Scalar(c[0], c[1], c[2]), cv::FILLED);
    cv::rectangle(legend, cv::Rect(6, y + 3, 16, 16), cv::Scalar(60, 60, 60), 1);
    cv::putText(legend, texts[i], cv::Point(28, y + 16), cv::FONT_HERSHEY_SIMPLEX, 0.45,
                cv::Scalar(20, 20, 20), 1, cv::LINE_AA);
  }
  return legend;
}

cv::Mat side_by_side(const std::vector<cv::Mat>& images, const std::vector<std::string>& captions,
                     int gap) {
  if (images.empty()) throw_input_error("side_by_side needs at least one image");
  const int height = images[0].rows;
  const int caption_height = captions.empty() ? 0 : 22;
  std::vector<cv::Mat> scaled;
  int width = 0;
  for (const auto& image : images) {
    cv::Mat resized;
    const int w =
        std::max(1, static_cast<int>(std::lround(image.cols * double(height) / image.rows)));
    cv::resize(image, resized, cv::Size(w, height), 0, 0, cv::INTER_AREA);
    width += w + (scaled.empty() ? 0 : gap);
    scaled.push_back(resized);
  }
  cv::Mat canvas(height + caption_height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  int x = 0;
  for (size_t i = 0; i < scaled.size(); ++i) {
    scaled[i].copyTo(canvas(cv::Rect(x, caption_height, scaled[i].cols, height)));
    if (i < captions.size()) {
      cv::putText(canvas, captions[i], cv::Point(x + 4, 16), cv::FONT_HERSHEY_SIMPLEX, 0.5,
                  cv::Scalar(20, 20, 20), 1, cv::LINE_AA);
    }
    x += scaled[i].cols + gap;
  }
  return canvas;
}

}  // namespace fashionseg

namespace fashionseg {

cv::Mat overlay_with_legend(const cv::Mat& rgb, const cv::Mat& labels,
                            const std::vector<int>& values, const std::vector<std::string>& names,
                            double opacity) {
  const cv::Mat overlay = overlay_mask(rgb, labels, opacity);
  cv::Mat legend = draw_legend(values, names);
  // The legend is drawn for photos about 900 pixels high; scale it up with larger photos.
  const double scale = std::max(1.0, rgb.rows / 900.0);
  if (scale > 1.0) cv::resize(legend, legend, cv::Size(), scale, scale, cv::INTER_LINEAR);
  cv::Mat canvas(std::max(overlay.rows, legend.rows), overlay.cols + legend.cols, CV_8UC3,
                 cv::Scalar(255, 255, 255));
  overlay.copyTo(canvas(cv::Rect(0, 0, overlay.cols, overlay.rows)));
  legend.copyTo(canvas(cv::Rect(overlay.cols, 0, legend.cols, legend.rows)));
  return canvas;
}

cv::Mat category_cutout(const cv::Mat& rgb, const cv::Mat& labels, int value, cv::Rect box) {
  box &= cv::Rect(0, 0, rgb.cols, rgb.rows);
  cv::Mat rgba;
  cv::cvtColor(rgb(box), rgba, cv::COLOR_RGB2RGBA);
  const cv::Mat alpha = labels(box) == value;
  cv::Mat channels[4];
  cv::split(rgba, channels);
  channels[3] = alpha;
  cv::merge(channels, 4, rgba);
  return rgba;
}

}  // namespace fashionseg
