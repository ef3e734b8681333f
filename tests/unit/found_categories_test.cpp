// find_contents searches each category's pieces inside its bounding box only; this holds it
// equal to OpenCV's connected components over the whole mask (the textbook computation) on
// random masks of blobs, specks and edge-touching pieces: counts, shares, boxes, instances
// under the piece rule, and every piece's pixels.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <opencv2/imgproc.hpp>
#include <random>

#include "fashionseg/data/found_categories.h"

namespace fashionseg {
namespace {

cv::Mat random_mask(std::mt19937& rng, cv::Size size) {
  cv::Mat labels = cv::Mat::zeros(size, CV_8UC1);
  std::uniform_int_distribution<int> value(1, 6), x(-10, size.width), y(-10, size.height),
      extent(1, 40);
  for (int i = 0; i < 40; ++i) {
    const cv::Rect blob(x(rng), y(rng), extent(rng), extent(rng));
    if (i % 3 == 0) {
      cv::circle(labels, blob.tl(), blob.width / 2, value(rng), cv::FILLED);
    } else {
      cv::rectangle(labels, blob, value(rng), cv::FILLED);
    }
  }
  std::uniform_int_distribution<int> row(0, size.height - 1), column(0, size.width - 1);
  for (int i = 0; i < 30; ++i) labels.at<uint8_t>(row(rng), column(rng)) = value(rng);  // specks
  labels.row(0).colRange(0, 5).setTo(255);  // ignored pixels are never a category
  return labels;
}

TEST(FindContents, EqualsConnectedComponentsOverTheWholeMask) {
  std::mt19937 rng(7);
  const std::vector<std::string> names = {"bg", "a", "b", "c", "d", "e", "f"};
  AreaRule rule;
  rule.min_area_fraction = 0.0005;
  rule.piece_fraction = 0.3;
  for (int round = 0; round < 20; ++round) {
    const cv::Mat labels = random_mask(rng, {97 + round, 131 - round});
    const MaskContents contents = find_contents(labels, names, rule, true);
    const double total = static_cast<double>(labels.total());
    const auto min_pixels = static_cast<int64_t>(std::ceil(rule.min_area_fraction * total));
    const auto min_piece =
        static_cast<int>(std::ceil(rule.min_area_fraction * rule.piece_fraction * total));
    std::map<int, const FoundCategory*> found;
    for (const auto& category : contents.categories) found[category.id] = &category;
    std::map<int, std::vector<const MaskPiece*>> pieces;
    for (const auto& piece : contents.pieces) pieces[piece.id].push_back(&piece);
    for (int value = 1; value <= 6; ++value) {
      const cv::Mat binary = labels == value;
      const int pixels = cv::countNonZero(binary);
      if (pixels < std::max<int64_t>(1, min_pixels)) {
        EXPECT_EQ(found.count(value), 0u) << round << " " << value;
        continue;
      }
      ASSERT_EQ(found.count(value), 1u) << round << " " << value;
      const FoundCategory& category = *found[value];
      EXPECT_EQ(category.pixels, pixels);
      EXPECT_DOUBLE_EQ(category.share, pixels / total);
      EXPECT_EQ(category.box, cv::boundingRect(binary));
      cv::Mat ids, stats, centroids;
      const int count = cv::connectedComponentsWithStats(binary, ids, stats, centroids, 8);
      std::vector<int> kept;
      for (int i = 1; i < count; ++i) {
        if (stats.at<int>(i, cv::CC_STAT_AREA) >= std::max(1, min_piece)) kept.push_back(i);
      }
      EXPECT_EQ(category.instances, std::max<int>(1, static_cast<int>(kept.size())));
      ASSERT_EQ(pieces[value].size(), kept.size()) << round << " " << value;
      // Each reference piece is exactly one of the pieces found.
      for (int i : kept) {
        const cv::Mat reference = ids == i;
        int matches = 0;
        for (const MaskPiece* piece : pieces[value]) {
          if (cv::countNonZero((piece->mask != 0) != reference) == 0) {
            ++matches;
            EXPECT_EQ(piece->pixels, stats.at<int>(i, cv::CC_STAT_AREA));
            EXPECT_EQ(piece->box, cv::boundingRect(reference));
          }
        }
        EXPECT_EQ(matches, 1) << round << " " << value << " piece " << i;
      }
    }
  }
}

}  // namespace
}  // namespace fashionseg
