// Class statistics and weights on a hand-computed case.
#include <gtest/gtest.h>

#include <cmath>

#include "data_test_support.h"
#include "fashionseg/data/class_stats.h"

namespace fashionseg {
namespace {

// Photo A: class 0 6 px, class 1 2 px (8 px). Photo B: class 0 2 px, class 2 2 px, 3 ignored.
// Totals 8/2/2 of 12 labelled: p = 2/3, 1/6, 1/6; class 3 absent.
ClassStatistics hand_case() {
  return compute_class_statistics(
      "test", {"background", "a", "b", "absent"},
      {PhotoHistogram{{6, 2, 0, 0}, 0}, PhotoHistogram{{2, 0, 2, 0}, 3}});
}

TEST(ClassStats, CountsPixelsAndPhotos) {
  const auto stats = hand_case();
  EXPECT_EQ(stats.labelled_pixels, 12u);
  EXPECT_EQ(stats.ignored_pixels, 3u);
  EXPECT_EQ(stats.pixels, (std::vector<uint64_t>{8, 2, 2, 0}));
  EXPECT_EQ(stats.photos, (std::vector<uint64_t>{2, 1, 1, 0}));
  EXPECT_DOUBLE_EQ(stats.pixel_share[0], 2.0 / 3.0);
}

TEST(ClassStats, InverseFrequency) {
  // 1 / (K p), K = 3 classes present.
  const auto w = hand_case().inverse_frequency;
  EXPECT_DOUBLE_EQ(w[0], 0.5);
  EXPECT_DOUBLE_EQ(w[1], 2.0);
  EXPECT_DOUBLE_EQ(w[2], 2.0);
  EXPECT_DOUBLE_EQ(w[3], 0.0);
}

TEST(ClassStats, MedianFrequency) {
  // f = 8/12, 2/8, 2/4; median 0.5.
  const auto w = hand_case().median_frequency;
  EXPECT_DOUBLE_EQ(w[0], 0.75);
  EXPECT_DOUBLE_EQ(w[1], 2.0);
  EXPECT_DOUBLE_EQ(w[2], 1.0);
  EXPECT_DOUBLE_EQ(w[3], 0.0);
}

TEST(ClassStats, Enet) {
  const auto w = hand_case().enet;
  EXPECT_NEAR(w[0], 1.0 / std::log(1.02 + 2.0 / 3.0), 1e-12);
  EXPECT_NEAR(w[1], 1.0 / std::log(1.02 + 1.0 / 6.0), 1e-12);
  EXPECT_DOUBLE_EQ(w[3], 0.0);
}

TEST(ClassStats, MeanComplementOfTheOriginalProject) {
  // class 0: photo A 1 - 6/8, photo B 1 - 2/4 -> mean 0.375; class 1: 1 - 2/8; class 2: 1 - 2/4.
  const auto w = hand_case().mean_complement;
  EXPECT_DOUBLE_EQ(w[0], 0.375);
  EXPECT_DOUBLE_EQ(w[1], 0.75);
  EXPECT_DOUBLE_EQ(w[2], 0.5);
  EXPECT_DOUBLE_EQ(w[3], 0.0);
}

TEST(ClassStats, JsonRoundTrip) {
  test::TempDir dir;
  const auto stats = hand_case();
  write_class_statistics(dir / "stats.json", stats);
  const auto back = read_class_statistics(dir / "stats.json");
  EXPECT_EQ(back.class_names, stats.class_names);
  EXPECT_EQ(back.pixels, stats.pixels);
  EXPECT_EQ(back.median_frequency, stats.median_frequency);
  EXPECT_EQ(back.ignored_pixels, 3u);
}

}  // namespace
}  // namespace fashionseg
