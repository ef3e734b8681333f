// Rendering: palette properties, colour masks, overlays keep background pixels.
#include <gtest/gtest.h>

#include <set>

#include "fashionseg/data/render.h"

namespace fashionseg {
namespace {

TEST(Render, PaletteIsFixedDistinctAndCoversAllLabels) {
  EXPECT_EQ(label_color(0), (std::array<uint8_t, 3>{0, 0, 0}));
  EXPECT_EQ(label_color(255), (std::array<uint8_t, 3>{255, 255, 255}));
  std::set<std::array<uint8_t, 3>> colours;
  for (int v = 1; v <= 46; ++v) colours.insert(label_color(v));
  EXPECT_EQ(colours.size(), 46u);  // every iMaterialist category has its own colour
  // Neighbouring labels differ clearly (sum of channel differences).
  for (int v = 1; v < 46; ++v) {
    const auto a = label_color(v), b = label_color(v + 1);
    EXPECT_GT(std::abs(a[0] - b[0]) + std::abs(a[1] - b[1]) + std::abs(a[2] - b[2]), 60) << v;
  }
  EXPECT_EQ(label_color(7), label_color(7));
}

TEST(Render, ColorizeAndOverlay) {
  cv::Mat labels(2, 3, CV_8UC1, cv::Scalar(0));
  labels.at<uint8_t>(0, 1) = 5;
  labels.at<uint8_t>(1, 2) = 255;
  const cv::Mat colours = colorize_mask(labels);
  const auto c5 = label_color(5);
  EXPECT_EQ(colours.at<cv::Vec3b>(0, 1), cv::Vec3b(c5[0], c5[1], c5[2]));
  EXPECT_EQ(colours.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 0));

  cv::Mat photo(2, 3, CV_8UC3, cv::Scalar(100, 150, 200));
  const cv::Mat blended = overlay_mask(photo, labels, 0.5);
  EXPECT_EQ(blended.at<cv::Vec3b>(0, 0), cv::Vec3b(100, 150, 200));  // background untouched
  EXPECT_EQ(blended.at<cv::Vec3b>(1, 2), cv::Vec3b(100, 150, 200));  // ignore untouched
  const cv::Vec3b mixed = blended.at<cv::Vec3b>(0, 1);
  EXPECT_NEAR(mixed[0], (100 + c5[0]) / 2.0, 1.0);
  const cv::Mat opaque = overlay_mask(photo, labels, 1.0);
  EXPECT_EQ(opaque.at<cv::Vec3b>(0, 1), cv::Vec3b(c5[0], c5[1], c5[2]));
}

TEST(Render, SideBySideScalesToFirstHeight) {
  const cv::Mat a(40, 30, CV_8UC3, cv::Scalar(1, 2, 3)), b(20, 30, CV_8UC3, cv::Scalar(4, 5, 6));
  const cv::Mat panel = side_by_side({a, b}, {"photo", "mask"}, 4);
  EXPECT_EQ(panel.rows, 40 + 22);
  EXPECT_EQ(panel.cols, 30 + 4 + 60);
  const cv::Mat legend = draw_legend({1, 2, 3}, {"background", "shirt", "top", "sweater"});
  EXPECT_EQ(legend.cols, 260);
  EXPECT_GE(legend.rows, 3 * 22);
}

}  // namespace
}  // namespace fashionseg
