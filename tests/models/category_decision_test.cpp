// The one category decision of the inference engine (src/infer/category_decision.h): the
// area rule without a head, the calibrated per-class rule with one, a call's min_area that
// overrides calibrated areas, and each category's confidence.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "fashionseg/core/error.h"
#include "infer/category_decision.h"

namespace fashionseg {
namespace {

const std::vector<std::string> kNames = {"background", "shirt", "shoe", "bag"};

/// A 100 x 100 mask: shirt 20 %, shoe 0.5 % (one 5 x 10 block), bag 0.05 % (5 pixels).
cv::Mat three_items() {
  cv::Mat labels = cv::Mat::zeros(100, 100, CV_8UC1);
  labels(cv::Rect(10, 10, 40, 50)).setTo(1);
  labels(cv::Rect(70, 80, 10, 5)).setTo(2);
  labels(cv::Rect(90, 5, 5, 1)).setTo(3);
  return labels;
}

double logit(double probability) { return std::log(probability / (1 - probability)); }

std::vector<int> ids(const MaskContents& contents) {
  std::vector<int> out;
  for (const auto& c : contents.categories) out.push_back(c.id);
  return out;
}

TEST(CategoryDecision, WithoutHeadOrRuleTheAreaRuleDecidesAndConfidenceIsMeanPixelProbability) {
  const cv::Mat labels = three_items();
  cv::Mat confidence(100, 100, CV_32FC1, cv::Scalar(0.9f));
  confidence(cv::Rect(70, 80, 5, 5)).setTo(0.5f);  // half the shoe is unsure
  const std::vector<double> no_head;
  const CategoryThresholds none;
  const MaskContents contents = decide_categories(CategoryEvidence{labels, no_head, confidence},
                                                  kNames, CategoryRule{AreaRule{}, none}, false);
  EXPECT_EQ(ids(contents), (std::vector<int>{1, 2}));  // the bag is below 0.1 %
  EXPECT_NEAR(contents.categories[0].confidence, 0.9, 1e-6);
  EXPECT_NEAR(contents.categories[1].confidence, 0.7, 1e-6);
}

TEST(CategoryDecision, TheHeadVetoesAndConfirmsWithCalibratedThresholds) {
  const cv::Mat labels = three_items();
  CategoryThresholds rule = CategoryThresholds::defaults(4, 0.001);
  rule.min_area[3] = 0.0003;      // small bags count
  rule.min_probability[1] = 0.6;  // shirts need a sure head
  rule.temperature = 2.0;
  // shirt: p(logit/2) = 0.55 < 0.6 -> vetoed despite 20 % of the photo; shoe: sure; bag: sure.
  const std::vector<double> head = {0.0, 2 * logit(0.55), 2 * logit(0.8), 2 * logit(0.7)};
  const MaskContents contents = decide_categories(CategoryEvidence{labels, head, cv::Mat()}, kNames,
                                                  CategoryRule{AreaRule{}, rule}, true);
  EXPECT_EQ(ids(contents), (std::vector<int>{2, 3}));
  EXPECT_NEAR(contents.categories[0].confidence, 0.8, 1e-9);
  EXPECT_NEAR(contents.categories[1].confidence, 0.7, 1e-9);
  // Pieces only of the listed categories.
  for (const auto& piece : contents.pieces) EXPECT_NE(piece.id, 1);
  EXPECT_EQ(contents.pieces.size(), 2u);

  // A call's explicit min_area replaces the calibrated areas (the bag drops out), the head's
  // thresholds still apply (the shirt stays out).
  AreaRule strict;
  strict.min_area_fraction = 0.001;
  strict.overrides_calibration = true;
  const MaskContents overridden = decide_categories(CategoryEvidence{labels, head, cv::Mat()},
                                                    kNames, CategoryRule{strict, rule}, false);
  EXPECT_EQ(ids(overridden), (std::vector<int>{2}));
}

TEST(CategoryDecision, AHeadWithoutStoredThresholdsUsesProbabilityOneHalfAndTheCallsArea) {
  const cv::Mat labels = three_items();
  const CategoryThresholds none;
  const std::vector<double> head = {0.0, logit(0.9), logit(0.4), logit(0.9)};
  const MaskContents contents = decide_categories(CategoryEvidence{labels, head, cv::Mat()}, kNames,
                                                  CategoryRule{AreaRule{}, none}, false);
  EXPECT_EQ(ids(contents), (std::vector<int>{1}));  // shoe below 0.5, bag below 0.1 %
}

TEST(CategoryDecision, CalibratedAreasWithoutHeadDecidePerClass) {
  const cv::Mat labels = three_items();
  CategoryThresholds rule = CategoryThresholds::defaults(4, 0.001);
  rule.min_area[1] = 0.3;     // shirts must cover 30 %: this one does not
  rule.min_area[3] = 0.0004;  // the bag passes
  const std::vector<double> no_head;
  const cv::Mat confidence(100, 100, CV_32FC1, cv::Scalar(0.6f));
  const MaskContents contents = decide_categories(CategoryEvidence{labels, no_head, confidence},
                                                  kNames, CategoryRule{AreaRule{}, rule}, false);
  EXPECT_EQ(ids(contents), (std::vector<int>{2, 3}));
  EXPECT_NEAR(contents.categories[1].confidence, 0.6, 1e-6);
}

TEST(CategoryDecision, MismatchedLengthsAreInputErrors) {
  const cv::Mat labels = three_items();
  const CategoryThresholds none;
  const std::vector<double> short_head = {0.0, 1.0};
  EXPECT_THROW(decide_categories(CategoryEvidence{labels, short_head, cv::Mat()}, kNames,
                                 CategoryRule{AreaRule{}, none}, false),
               Error);
  const CategoryThresholds wrong = CategoryThresholds::defaults(7);
  const std::vector<double> head = {0.0, 1.0, 1.0, 1.0};
  EXPECT_THROW(decide_categories(CategoryEvidence{labels, head, cv::Mat()}, kNames,
                                 CategoryRule{AreaRule{}, wrong}, false),
               Error);
}

}  // namespace
}  // namespace fashionseg
