#include "fashionseg/data/stats_report.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace fashionseg {

std::string format_class_table(const ClassStatistics& stats) {
  size_t name_width = 4;
  for (const auto& name : stats.class_names) name_width = std::max(name_width, name.size());
  name_width = std::min<size_t>(name_width, 40);
  // Datasets with tagged photos get a column of their counts (masked photos are "photos").
  const bool tags = stats.tagged_photo_count > 0 && stats.tagged.size() == stats.class_names.size();
  std::string text;
  char line[512];
  std::snprintf(line, sizeof(line), "%5s  %-*s %8s %9s %10s %10s %8s %10s%s\n", "value",
                int(name_width), "name", "photos", "pixels %", "inv-freq", "median-fr", "enet",
                "mean-compl", tags ? "   tagged" : "");
  text += line;
  for (size_t c = 0; c < stats.class_names.size(); ++c) {
    std::snprintf(line, sizeof(line), "%5zu  %-*s %8llu %9.3f %10.3f %10.3f %8.3f %10.3f", c,
                  int(name_width), stats.class_names[c].substr(0, name_width).c_str(),
                  (unsigned long long)stats.photos[c], 100.0 * stats.pixel_share[c],
                  stats.inverse_frequency[c], stats.median_frequency[c], stats.enet[c],
                  stats.mean_complement[c]);
    text += line;
    if (tags) {
      std::snprintf(line, sizeof(line), " %8llu", (unsigned long long)stats.tagged[c]);
      text += line;
    }
    text += "\n";
  }
  std::snprintf(line, sizeof(line),
                "%zu photos, %llu labelled pixels, %llu ignored pixels, label space '%s'\n",
                stats.photo_count, (unsigned long long)stats.labelled_pixels,
                (unsigned long long)stats.ignored_pixels, stats.label_space.c_str());
  text += line;
  if (stats.tagged_photo_count > 0 || stats.unlabelled_photo_count > 0) {
    std::snprintf(line, sizeof(line), "and %zu photos with tags only, %zu unlabelled photos\n",
                  stats.tagged_photo_count, stats.unlabelled_photo_count);
    text += line;
  }
  return text;
}

cv::Mat draw_class_chart(const ClassStatistics& stats) {
  const int classes = int(stats.class_names.size());
  const int row = 22, top = 50, left = 330, right_margin = 190, width = 1000;
  const int height = top + classes * row + 40;
  cv::Mat chart(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  const auto font = cv::FONT_HERSHEY_SIMPLEX;
  cv::putText(chart, "Pixel share per class (log scale), label space '" + stats.label_space + "'",
              cv::Point(10, 30), font, 0.6, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  // Log scale from 1e-4 % to 100 %: rare classes stay visible next to background.
  const double lo = std::log10(1e-4), hi = std::log10(100.0);
  const int bar_space = width - left - right_margin;
  for (int k = -4; k <= 2; ++k) {
    const int x = left + int(bar_space * (k - lo) / (hi - lo));
    cv::line(chart, cv::Point(x, top - 5), cv::Point(x, top + classes * row),
             cv::Scalar(220, 220, 220), 1);
    char label[16];
    std::snprintf(label, sizeof(label), k < 0 ? "%.0e%%" : "%.0f%%", std::pow(10.0, k));
    cv::putText(chart, label, cv::Point(x - 14, top + classes * row + 18), font, 0.38,
                cv::Scalar(90, 90, 90), 1, cv::LINE_AA);
  }
  for (int c = 0; c < classes; ++c) {
    const int y = top + c * row;
    const double percent = 100.0 * stats.pixel_share[size_t(c)];
    std::string name = std::to_string(c) + "  " + stats.class_names[size_t(c)];
    if (name.size() > 40) name = name.substr(0, 39) + ".";
    cv::putText(chart, name, cv::Point(8, y + 15), font, 0.45, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    if (percent > 0) {
      const double position = (std::log10(std::max(percent, 1e-4)) - lo) / (hi - lo);
      const int length = std::max(2, int(bar_space * position));
      // A hue per class, the same order as the usual segmentation palettes.
      cv::Mat hsv(1, 1, CV_8UC3, cv::Scalar((c * 37) % 180, 160, 200)), bgr;
      cv::cvtColor(hsv, bgr, cv::COLOR_HSV2RGB);
      const cv::Vec3b colour = bgr.at<cv::Vec3b>(0, 0);
      cv::rectangle(chart, cv::Rect(left, y + 3, length, row - 6),
                    cv::Scalar(colour[0], colour[1], colour[2]), -1);
    }
    char value[64];
    std::snprintf(value, sizeof(value), "%.3f%%  %llu photos", percent,
                  (unsigned long long)stats.photos[size_t(c)]);
    cv::putText(chart, value, cv::Point(width - right_margin + 8, y + 15), font, 0.42,
                cv::Scalar(40, 40, 40), 1, cv::LINE_AA);
  }
  return chart;
}

}  // namespace fashionseg
