// Kaggle RLE: a hand-made decode, property-style round trips, and every malformed input.
#include <gtest/gtest.h>

#include <random>

#include "data_test_support.h"
#include "fashionseg/data/rle.h"

namespace fashionseg {
namespace {

using test::expect_error;
using test::mask_of;
using test::same_mask;

TEST(KaggleRle, DecodesHandMadeCaseColumnMajorOneBased) {
  // 3 rows x 4 columns. "1 2" = pixels 1,2 of column 0 (rows 0,1); "6 3" = pixel 6 (column 1,
  // row 2) then column 2 rows 0,1.
  const cv::Mat mask = decode_kaggle_rle("1 2 6 3", 3, 4);
  EXPECT_TRUE(same_mask(mask, mask_of({{1, 0, 1, 0}, {1, 0, 1, 0}, {0, 1, 0, 0}})));
}

TEST(KaggleRle, EncodesHandMadeCase) {
  EXPECT_EQ(encode_kaggle_rle(mask_of({{1, 0, 1, 0}, {1, 0, 1, 0}, {0, 1, 0, 0}})), "1 2 6 3");
  EXPECT_EQ(encode_kaggle_rle(mask_of({{0, 0}, {0, 0}})), "");
  EXPECT_EQ(encode_kaggle_rle(mask_of({{1, 1}, {1, 1}})), "1 4");
}

TEST(KaggleRle, RoundTripsRandomMasksOfManyShapes) {
  std::mt19937 rng(7);
  const std::vector<cv::Size> sizes = {{1, 1}, {17, 1}, {1, 23}, {7, 13}, {64, 48}, {5, 200}};
  for (const cv::Size size : sizes) {
    for (double density : {0.0, 0.05, 0.5, 0.95, 1.0}) {
      cv::Mat mask(size, CV_8UC1);
      std::bernoulli_distribution on(density);
      // Runs of random lengths make long and short runs both appear.
      for (int x = 0; x < size.width; ++x) {
        for (int y = 0; y < size.height; ++y) mask.at<uint8_t>(y, x) = on(rng) ? 1 : 0;
      }
      const std::string text = encode_kaggle_rle(mask);
      const cv::Mat back = decode_kaggle_rle(text, size.height, size.width);
      EXPECT_TRUE(same_mask(mask, back))
          << size << " density " << density << " rle '" << text << "'";
      // The parsed runs and the direct decoder agree.
      const auto runs = parse_kaggle_rle(text, size.height, size.width, {});
      EXPECT_EQ(format_kaggle_rle(runs), text);
      EXPECT_EQ(run_area(runs), size_t(cv::countNonZero(mask)));
    }
  }
}

TEST(KaggleRle, DecodeIntoPaintsOnlyTheRuns) {
  std::vector<uint8_t> buffer(12, 9);
  const size_t painted = decode_kaggle_rle_into("2 2 10 3", 3, 4, 5, buffer.data(), {});
  EXPECT_EQ(painted, 5u);
  EXPECT_EQ(buffer, (std::vector<uint8_t>{9, 5, 5, 9, 9, 9, 9, 9, 9, 5, 5, 5}));
}

TEST(KaggleRle, PaintRunsWrapsRunsAcrossColumns) {
  cv::Mat mask = cv::Mat::zeros(3, 4, CV_8UC1);
  paint_runs({{2, 3}, {9, 2}}, 7, mask);  // 2..4 wraps from column 0 into column 1
  EXPECT_TRUE(same_mask(mask, mask_of({{0, 7, 0, 7}, {0, 7, 0, 7}, {7, 0, 0, 0}})));
}

TEST(KaggleRle, EmptyTextIsAnEmptyMask) {
  EXPECT_EQ(cv::countNonZero(decode_kaggle_rle("", 4, 5)), 0);
  EXPECT_EQ(cv::countNonZero(decode_kaggle_rle("  ", 4, 5)), 0);
}

TEST(KaggleRle, RejectsMalformedTextNamingWhere) {
  const Location where{"train.csv", 12, "ImageId a.jpg"};
  auto decode = [&](const std::string& text) {
    return [=] { decode_kaggle_rle(text, 3, 4, where); };
  };
  const std::vector<std::string> place = {"train.csv:12", "ImageId a.jpg"};
  auto with = [&](std::string what) {
    auto parts = place;
    parts.push_back(std::move(what));
    return parts;
  };
  expect_error(decode("11 3"), with("past the image"));
  expect_error(decode("1 3 2 2"), with("overlaps"));
  expect_error(decode("5 2 1 2"), with("overlaps or precedes"));
  expect_error(decode("1 2 5"), with("odd number of fields"));
  expect_error(decode("1 x2"), with("not a non-negative integer"));
  expect_error(decode("1 -2"), with("not a non-negative integer"));
  expect_error(decode("1 2.5"), with("not a non-negative integer"));
  expect_error(decode("3 0"), with("length 0"));
  expect_error(decode("0 2"), with("1-based"));
  expect_error(decode("99999999999999999999 1"), with("past the image"));
}

}  // namespace
}  // namespace fashionseg
