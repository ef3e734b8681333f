// Metrics: hand-computed cases, the stated rules for absent classes and ignore=255, and an
// independent NumPy implementation on random masks.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "fashionseg/core/error.h"
#include "fashionseg/data/metrics.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

cv::Mat mask_from(std::initializer_list<uint8_t> values, int rows, int cols) {
  cv::Mat m(rows, cols, CV_8UC1);
  std::copy(values.begin(), values.end(), m.ptr<uint8_t>(0));
  return m;
}

TEST(ConfusionMatrix, HandComputedThreeClassCase) {
  // truth: 0 0 1 1 2 255 ; prediction: 0 1 1 1 0 2
  const cv::Mat truth = mask_from({0, 0, 1, 1, 2, 255}, 1, 6);
  const cv::Mat pred = mask_from({0, 1, 1, 1, 0, 2}, 1, 6);
  ConfusionMatrix cm(3);
  cm.add(truth, pred);
  EXPECT_EQ(cm.total(), 5u);  // the ignored pixel is not counted
  EXPECT_EQ(cm.at(0, 0), 1u);
  EXPECT_EQ(cm.at(0, 1), 1u);
  EXPECT_EQ(cm.at(1, 1), 2u);
  EXPECT_EQ(cm.at(2, 0), 1u);
  const auto m = compute_metrics(cm);
  // class 0: tp 1, fp 1 (the 2 predicted as 0), fn 1 -> 1/3
  EXPECT_NEAR(m.iou[0], 1.0 / 3, 1e-12);
  // class 1: tp 2, fp 1, fn 0 -> 2/3
  EXPECT_NEAR(m.iou[1], 2.0 / 3, 1e-12);
  // class 2: tp 0, fn 1 -> 0 (present in truth)
  EXPECT_NEAR(m.iou[2], 0.0, 1e-12);
  EXPECT_NEAR(m.mean_iou, (1.0 / 3 + 2.0 / 3 + 0) / 3, 1e-12);
  EXPECT_NEAR(m.pixel_accuracy, 3.0 / 5, 1e-12);
  // foreground: truth fg = {1,1,2}, pred fg = {1,1,1} at positions 1,2,3 ->
  // tp = 2 (pos 2,3), fp = 1 (pos 1), fn = 1 (pos 4)
  EXPECT_NEAR(m.foreground_iou, 2.0 / 4, 1e-12);
  EXPECT_NEAR(m.dice[1], 4.0 / 5, 1e-12);
  EXPECT_NEAR(m.class_accuracy[0], 0.5, 1e-12);
}

TEST(ConfusionMatrix, AbsentClassesAreNaNAndSkipped) {
  ConfusionMatrix cm(4);
  const cv::Mat truth = mask_from({0, 1, 1, 0}, 2, 2);
  cm.add(truth, truth);
  const auto m = compute_metrics(cm);
  EXPECT_TRUE(std::isnan(m.iou[2]));
  EXPECT_TRUE(std::isnan(m.iou[3]));
  EXPECT_DOUBLE_EQ(m.mean_iou, 1.0);
  EXPECT_DOUBLE_EQ(m.mean_iou_truth, 1.0);
  EXPECT_FALSE(std::isnan(m.mean_class_accuracy));
}

TEST(ConfusionMatrix, PredictedButAbsentClassCountsInMeanIouNotInTruthMean) {
  ConfusionMatrix cm(3);
  cm.add(mask_from({0, 0}, 1, 2), mask_from({0, 2}, 1, 2));
  const auto m = compute_metrics(cm);
  EXPECT_DOUBLE_EQ(m.iou[2], 0.0);
  EXPECT_DOUBLE_EQ(m.mean_iou, (0.5 + 0.0) / 2);
  EXPECT_DOUBLE_EQ(m.mean_iou_truth, 0.5);
}

TEST(ConfusionMatrix, EmptyMatrixGivesNaNNotZero) {
  ConfusionMatrix cm(3);
  const auto m = compute_metrics(cm);
  EXPECT_TRUE(std::isnan(m.mean_iou));
  EXPECT_TRUE(std::isnan(m.pixel_accuracy));
  EXPECT_TRUE(std::isnan(m.foreground_iou));
}

TEST(ConfusionMatrix, OutOfRangeLabelIsAnError) {
  ConfusionMatrix cm(3);
  EXPECT_THROW(cm.add(mask_from({5}, 1, 1), mask_from({0}, 1, 1)), Error);
  EXPECT_THROW(cm.add(mask_from({0}, 1, 1), mask_from({3}, 1, 1)), Error);
  EXPECT_THROW(ConfusionMatrix(0), Error);
}

TEST(ConfusionMatrix, MergeEqualsAddingEverything) {
  ConfusionMatrix a(3), b(3), both(3);
  const cv::Mat t1 = mask_from({0, 1, 2}, 1, 3), p1 = mask_from({0, 2, 2}, 1, 3);
  const cv::Mat t2 = mask_from({1, 1, 0}, 1, 3), p2 = mask_from({1, 0, 0}, 1, 3);
  a.add(t1, p1);
  b.add(t2, p2);
  both.add(t1, p1);
  both.add(t2, p2);
  a.merge(b);
  EXPECT_EQ(a.counts(), both.counts());
}

TEST(ConfusionMatrix, MatchesIndependentNumpyImplementation) {
  const int classes = 7;
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> label(0, classes - 1);
  std::uniform_real_distribution<double> unit(0, 1);
  cv::Mat truth(61, 53, CV_8UC1), pred(61, 53, CV_8UC1);
  for (int i = 0; i < truth.rows * truth.cols; ++i) {
    int t = label(rng);
    if (t == 5) t = 0;  // class 5 absent from truth
    truth.data[i] = unit(rng) < 0.05 ? 255 : t;
    // Prediction agrees 60% of the time; class 6 is never predicted.
    int p = unit(rng) < 0.6 ? (truth.data[i] == 255 ? 0 : truth.data[i]) : label(rng);
    pred.data[i] = p == 6 ? 1 : p;
  }
  ConfusionMatrix cm(classes);
  cm.add(truth, pred);
  const auto m = compute_metrics(cm);

  test::TempDir dir;
  std::ofstream(dir / "t.bin", std::ios::binary)
      .write(reinterpret_cast<const char*>(truth.data), truth.total());
  std::ofstream(dir / "p.bin", std::ios::binary)
      .write(reinterpret_cast<const char*>(pred.data), pred.total());
  const auto result = test::run_command(
      test::python() + " " + (test::source_dir() / "tests/unit/metrics_reference.py").string() +
      " " + (dir / "t.bin").string() + " " + (dir / "p.bin").string() + " " +
      std::to_string(classes));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto ref = nlohmann::json::parse(result.output);
  for (int k = 0; k < classes; ++k) {
    if (ref["iou"][k].is_null()) {
      EXPECT_TRUE(std::isnan(m.iou[k])) << k;
    } else {
      EXPECT_NEAR(m.iou[k], ref["iou"][k].get<double>(), 1e-12) << k;
    }
  }
  EXPECT_NEAR(m.mean_iou, ref["mean_iou"].get<double>(), 1e-12);
  EXPECT_NEAR(m.mean_iou_truth, ref["mean_iou_truth"].get<double>(), 1e-12);
  EXPECT_NEAR(m.frequency_weighted_iou, ref["fw_iou"].get<double>(), 1e-12);
  EXPECT_NEAR(m.pixel_accuracy, ref["pixel_accuracy"].get<double>(), 1e-12);
  EXPECT_NEAR(m.mean_class_accuracy, ref["mean_class_accuracy"].get<double>(), 1e-12);
  EXPECT_NEAR(m.mean_dice, ref["mean_dice"].get<double>(), 1e-12);
  EXPECT_NEAR(m.foreground_iou, ref["foreground_iou"].get<double>(), 1e-12);
}

TEST(CategoryDetection, AreaRuleAndScores) {
  // 10x10 photo: truth has class 1 (20 px) and class 2 (1 px); prediction has class 1 (30 px)
  // and class 3 (5 px).
  cv::Mat truth(10, 10, CV_8UC1, cv::Scalar(0)), pred(10, 10, CV_8UC1, cv::Scalar(0));
  truth(cv::Rect(0, 0, 10, 2)).setTo(1);
  truth.at<uint8_t>(9, 9) = 2;
  pred(cv::Rect(0, 0, 10, 3)).setTo(1);
  pred(cv::Rect(0, 9, 5, 1)).setTo(3);
  CategoryDetection strict(4, 0.02);  // 2% = 2 px: class 2 (1 px) does not count
  EXPECT_EQ(strict.present(truth), std::vector<int>({1}));
  strict.add(truth, pred);
  auto s = strict.scores();
  EXPECT_EQ(s.true_positives[1], 1u);
  EXPECT_EQ(s.false_positives[3], 1u);
  EXPECT_EQ(s.false_negatives[2], 0u);
  EXPECT_DOUBLE_EQ(s.micro_precision, 0.5);
  EXPECT_DOUBLE_EQ(s.micro_recall, 1.0);
  EXPECT_NEAR(s.micro_f1, 2.0 / 3, 1e-12);

  CategoryDetection loose(4, 0.0);  // any pixel counts: class 2 is now missed
  loose.add(truth, pred);
  s = loose.scores();
  EXPECT_EQ(s.false_negatives[2], 1u);
  EXPECT_DOUBLE_EQ(s.f1[2], 0.0);
  EXPECT_DOUBLE_EQ(s.micro_recall, 0.5);
}

TEST(CategoryDetection, IgnoredTruthHidesPrediction) {
  cv::Mat truth(4, 4, CV_8UC1, cv::Scalar(255)), pred(4, 4, CV_8UC1, cv::Scalar(2));
  truth.at<uint8_t>(0, 0) = 0;
  pred.at<uint8_t>(0, 0) = 0;
  CategoryDetection detection(3, 0.0);
  detection.add(truth, pred);
  EXPECT_EQ(detection.scores().false_positives[2], 0u);
}

}  // namespace
}  // namespace fashionseg
