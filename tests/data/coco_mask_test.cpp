// COCO masks: compressed RLE against an independent Python reference, counts <-> runs,
// polygons.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "data_test_support.h"
#include "fashionseg/data/coco_mask.h"

namespace fashionseg {
namespace {

using test::expect_error;

std::vector<std::string> python_reference_strings(const std::vector<std::vector<uint32_t>>& cases) {
  test::TempDir dir;
  const auto input = dir / "counts.txt";
  {
    std::ofstream out(input);
    for (const auto& counts : cases) {
      for (size_t i = 0; i < counts.size(); ++i) out << (i ? " " : "") << counts[i];
      out << "\n";
    }
  }
  const auto script = test::fixture("coco") / "coco_rle_reference.py";
  const auto result = test::run_command(test::python() + " " + test::shell_quote(script.string()) +
                                        " < " + test::shell_quote(input.string()));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  std::vector<std::string> lines;
  std::istringstream stream(result.output);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

TEST(CocoRle, CompressedStringsMatchPythonReference) {
  std::mt19937 rng(3);
  std::vector<std::vector<uint32_t>> cases = {
      {0, 24}, {9, 3, 3, 3, 6}, {1000, 5, 30000, 2, 7}, {24}};
  for (int k = 0; k < 40; ++k) {
    std::vector<uint32_t> counts;
    const int n = std::uniform_int_distribution<int>(1, 30)(rng);
    // Mix tiny and huge counts so negative differences and multi-group values occur.
    for (int i = 0; i < n; ++i) {
      counts.push_back(std::bernoulli_distribution(0.3)(rng)
                           ? std::uniform_int_distribution<uint32_t>(0, 5000000)(rng)
                           : std::uniform_int_distribution<uint32_t>(0, 40)(rng));
    }
    cases.push_back(counts);
  }
  const auto expected = python_reference_strings(cases);
  ASSERT_EQ(expected.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(coco_counts_to_string(cases[i]), expected[i]) << "case " << i;
    EXPECT_EQ(coco_counts_from_string(expected[i]), cases[i]) << "case " << i;
  }
}

TEST(CocoRle, CountsAndRunsConvertBothWays) {
  // 6x4 image: counts start with background.
  const auto runs = runs_from_coco_counts({9, 3, 3, 3, 6}, 6, 4);
  EXPECT_EQ(runs, (std::vector<RleRun>{{9, 3}, {15, 3}}));
  EXPECT_EQ(coco_counts_from_runs(runs, 6, 4), (std::vector<uint32_t>{9, 3, 3, 3, 6}));
  // Foreground from the first pixel: a leading 0 count.
  EXPECT_EQ(runs_from_coco_counts({0, 24}, 6, 4), (std::vector<RleRun>{{0, 24}}));
  EXPECT_EQ(coco_counts_from_runs({{0, 24}}, 6, 4), (std::vector<uint32_t>{0, 24}));
  EXPECT_EQ(coco_counts_from_runs({}, 6, 4), (std::vector<uint32_t>{24}));
}

TEST(CocoRle, RejectsBadInput) {
  const Location where{"coco.json", 0, "annotation 7 (image a.jpg)"};
  expect_error(
      [&] {
        runs_from_coco_counts({3, 4}, 6, 4, where);
      },
      {"coco.json", "annotation 7", "sum to 7"});
  expect_error([&] { coco_counts_from_string("9 3", where); },
               {"coco.json", "annotation 7", "character"});
  expect_error([&] { coco_counts_from_string("X", where); },
               {"annotation 7", "ends inside a value"});
}

TEST(CocoPolygon, AxisAlignedBoxCoversItsPixels) {
  // Box from (1,2) to (3,5): columns 1..2, rows 2..4 (pixel i spans [i, i+1)).
  const auto runs = rasterize_polygons({{1, 2, 3, 2, 3, 5, 1, 5}}, 6, 4);
  EXPECT_EQ(runs, (std::vector<RleRun>{{6 + 2, 3}, {12 + 2, 3}}));
}

TEST(CocoPolygon, TriangleAreaIsCloseToGeometricArea) {
  // Right triangle of legs 40: area 800 pixels.
  const auto runs = rasterize_polygons({{0, 0, 40, 0, 0, 40}}, 50, 50);
  EXPECT_NEAR(double(run_area(runs)), 800.0, 40.0);
}

TEST(CocoPolygon, SeveralPolygonsAreUnited) {
  const auto runs = rasterize_polygons({{0, 0, 1, 0, 1, 1, 0, 1}, {3, 5, 4, 5, 4, 6, 3, 6}}, 6, 4);
  EXPECT_EQ(runs, (std::vector<RleRun>{{0, 1}, {23, 1}}));
}

TEST(CocoPolygon, RejectsMalformedPolygons) {
  const Location where{"coco.json", 0, "annotation 3 (image b.jpg)"};
  expect_error(
      [&] {
        rasterize_polygons({{0, 0, 1}}, 6, 4, where);
      },
      {"coco.json", "annotation 3", "odd number"});
  expect_error(
      [&] {
        rasterize_polygons({{0, 0, 1, 1}}, 6, 4, where);
      },
      {"annotation 3", "fewer than 3"});
}

}  // namespace
}  // namespace fashionseg
