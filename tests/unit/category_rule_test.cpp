// The category rule: decisions with and without a head, its JSON form, and calibration on
// synthetic photos whose best thresholds and temperature are known in advance.
#include "fashionseg/data/category_rule.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "fashionseg/core/error.h"

namespace fashionseg {
namespace {

constexpr double kNoHead = std::numeric_limits<double>::quiet_NaN();

double logit_of(double p) { return std::log(p / (1 - p)); }

CalibrationPhoto photo(int classes, std::vector<int> truth) {
  CalibrationPhoto p;
  p.evidence.assign(classes, ClassEvidence{kNoHead, 0.0});
  p.truth = std::move(truth);
  return p;
}

/// 40 photos without a head: class 1 covers 1.5% of the even ones (where it is present) and
/// shows as 0.2% specks on the odd ones (where it is not).
std::vector<CalibrationPhoto> pieces_and_specks() {
  std::vector<CalibrationPhoto> photos;
  for (int i = 0; i < 40; ++i) {
    const bool present = i % 2 == 0;
    CalibrationPhoto p = photo(2, present ? std::vector<int>{1} : std::vector<int>{});
    p.evidence[1].area = present ? 0.015 : 0.002;
    photos.push_back(p);
  }
  return photos;
}

TEST(CategoryThresholds, WithoutHeadTheAreaDecides) {
  CategoryThresholds rule = CategoryThresholds::defaults(3, 0.01);
  EXPECT_TRUE(rule.accepts(1, {kNoHead, 0.01}));
  EXPECT_FALSE(rule.accepts(1, {kNoHead, 0.0099}));
  EXPECT_FALSE(rule.accepts(2, {kNoHead, 0.0}));
  EXPECT_THROW(rule.accepts(0, {kNoHead, 0.5}), Error);
  EXPECT_THROW(rule.accepts(3, {kNoHead, 0.5}), Error);
}

TEST(CategoryThresholds, WithHeadBothProbabilityAndAreaMustPass) {
  CategoryThresholds rule = CategoryThresholds::defaults(2, 0.001);
  rule.min_probability[1] = 0.7;
  EXPECT_TRUE(rule.accepts(1, {logit_of(0.75), 0.002}));
  EXPECT_FALSE(rule.accepts(1, {logit_of(0.65), 0.5}));
  // A confident head does not list a category the mask never shows.
  EXPECT_FALSE(rule.accepts(1, {logit_of(0.99), 0.0}));
  rule.temperature = 2.0;
  EXPECT_NEAR(rule.probability(2.0), 1.0 / (1.0 + std::exp(-1.0)), 1e-12);
}

TEST(CategoryThresholds, JsonRoundTripAndClearErrors) {
  CategoryThresholds rule = CategoryThresholds::defaults(3, 0.002);
  rule.temperature = 1.5;
  rule.min_probability = {0.5, 0.3, 0.8};
  rule.calibrated = true;
  const CategoryThresholds back = category_rule_from_json(category_rule_to_json(rule), 3, "m.fsm");
  EXPECT_EQ(back.temperature, 1.5);
  EXPECT_EQ(back.min_probability, rule.min_probability);
  EXPECT_EQ(back.min_area, rule.min_area);
  EXPECT_TRUE(back.calibrated);
  EXPECT_EQ(back.confidence_weights, rule.confidence_weights);
  // Files written before the confidence model read as the head's probability alone.
  nlohmann::json older = category_rule_to_json(rule);
  older.erase("confidence_weights");
  EXPECT_EQ(category_rule_from_json(older, 3, "m.fsm").confidence_weights,
            (std::array<double, 3>{1.0, 0.0, 0.0}));
  nlohmann::json bad_weights = category_rule_to_json(rule);
  bad_weights["confidence_weights"] = {1.0, "x", 0.0};
  EXPECT_THROW(category_rule_from_json(bad_weights, 3, "m.fsm"), Error);

  nlohmann::json wrong_length = category_rule_to_json(rule);
  wrong_length["min_area"] = {0.1, 0.2};
  try {
    category_rule_from_json(wrong_length, 3, "m.fsm");
    FAIL() << "a rule for 2 classes was accepted for 3";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("m.fsm"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("min_area"), std::string::npos) << e.what();
  }
  nlohmann::json out_of_range = category_rule_to_json(rule);
  out_of_range["min_probability"][1] = 1.5;
  EXPECT_THROW(category_rule_from_json(out_of_range, 3, "m.fsm"), Error);
  nlohmann::json no_temperature = category_rule_to_json(rule);
  no_temperature.erase("temperature");
  EXPECT_THROW(category_rule_from_json(no_temperature, 3, "m.fsm"), Error);
  EXPECT_THROW(category_rule_from_json(nlohmann::json::array(), 3, "m.fsm"), Error);
}

TEST(CategoryCalibration, FindsTheAreaThatSeparatesTruePiecesFromSpecks) {
  // Class 1 is present with 1.5% of the photo, and appears as 0.2% specks where absent: any
  // threshold in (0.002, 0.015] separates them; the grid's best is the highest such, 0.01.
  std::vector<CalibrationPhoto> photos = pieces_and_specks();
  CalibrationOptions options;
  options.fit_temperature = false;
  const CategoryThresholds rule = calibrate_category_rule(photos, 2, options);
  EXPECT_TRUE(rule.calibrated);
  EXPECT_DOUBLE_EQ(rule.min_area[1], 0.01);
  const CategoryScores scores = score_category_rule(rule, photos);
  EXPECT_DOUBLE_EQ(scores.micro_f1, 1.0);
  EXPECT_EQ(scores.true_positives[1], 20u);
  EXPECT_EQ(scores.false_positives[1], 0u);
}

TEST(CategoryCalibration, FindsTheHeadProbabilityThatSeparatesClasses) {
  // Every photo shows class 1 in its mask, but only photos whose head says >= 0.6 have it.
  std::vector<CalibrationPhoto> photos;
  for (int i = 0; i < 40; ++i) {
    const double p = 0.05 + 0.9 * i / 39.0;
    CalibrationPhoto photo_i = photo(2, p >= 0.6 ? std::vector<int>{1} : std::vector<int>{});
    photo_i.evidence[1] = {logit_of(p), 0.05};
    photos.push_back(photo_i);
  }
  CalibrationOptions options;
  options.fit_temperature = false;
  const CategoryThresholds rule = calibrate_category_rule(photos, 2, options);
  // The lowest present photo has p = 0.05 + 0.9 * 24/39 = 0.604, the highest absent 0.581.
  EXPECT_DOUBLE_EQ(rule.min_probability[1], 0.6);
  EXPECT_DOUBLE_EQ(score_category_rule(rule, photos).micro_f1, 1.0);
}

TEST(CategoryCalibration, ConfidenceRecoversAKnownLogisticModelOfHeadAndArea) {
  // Truth drawn with probability sigmoid(0.5 z + 1.5 ln(area) + 6): the fitted confidence
  // weights (at temperature 1, which this head needs least) must come back near (0.5, 1.5, 6).
  std::mt19937 rng(11);
  std::normal_distribution<double> logit(0.0, 2.0);
  std::uniform_real_distribution<double> log_area(std::log(1e-4), std::log(0.2));
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<CalibrationPhoto> photos;
  for (int i = 0; i < 8000; ++i) {
    const double z = logit(rng), a = std::exp(log_area(rng));
    const double p = 1.0 / (1.0 + std::exp(-(0.5 * z + 1.5 * std::log(a) + 6.0)));
    CalibrationPhoto photo_i =
        photo(2, uniform(rng) < p ? std::vector<int>{1} : std::vector<int>{});
    photo_i.evidence[1] = {z, a};
    photos.push_back(photo_i);
  }
  CalibrationOptions options;
  options.fit_temperature = false;
  const CategoryThresholds rule = calibrate_category_rule(photos, 2, options);
  EXPECT_NEAR(rule.confidence_weights[0], 0.5, 0.1);
  EXPECT_NEAR(rule.confidence_weights[1], 1.5, 0.2);
  EXPECT_NEAR(rule.confidence_weights[2], 6.0, 0.8);
  // More area, more confidence, at the same head logit.
  EXPECT_GT(rule.confidence({0.0, 0.05}), rule.confidence({0.0, 0.001}));
  // Without a head there is no such model.
  EXPECT_TRUE(std::isnan(rule.confidence({kNoHead, 0.05})));
}

TEST(CategoryCalibration, AMinimumPrecisionTradesF1ForFewerWrongCategories) {
  // 20 photos show the class (1.5% of the photo), 10 only show specks of it (0.2%), and 10
  // show 1.5% of something it is not. Best F1 (0.8): keep the big ones, precision 0.67. At
  // least 0.7 precise: no area does it, so the class is never listed (threshold above 1.5%).
  std::vector<CalibrationPhoto> photos;
  for (int i = 0; i < 40; ++i) {
    const bool present = i < 20;
    CalibrationPhoto p = photo(2, present ? std::vector<int>{1} : std::vector<int>{});
    p.evidence[1].area = present || i >= 30 ? 0.015 : 0.002;
    photos.push_back(p);
  }
  CalibrationOptions options;
  const CategoryThresholds best_f1 = calibrate_category_rule(photos, 2, options);
  EXPECT_GT(best_f1.min_area[1], 0.002);
  EXPECT_LE(best_f1.min_area[1], 0.015);
  options.min_precision = 0.7;
  const CategoryThresholds precise = calibrate_category_rule(photos, 2, options);
  EXPECT_GT(precise.min_area[1], 0.015);
  const CategoryScores scores = score_category_rule(precise, photos);
  EXPECT_EQ(scores.false_positives[1], 0u);
}

TEST(CategoryCalibration, TemperatureRecoversAnOverconfidentHead) {
  // Truth drawn with probability sigmoid(z / 2): the head's logits z are twice too sharp, so
  // the fitted temperature must be near 2 (within the grid's step of 4^(1/20) = 1.072).
  std::mt19937 rng(7);
  std::normal_distribution<double> logit(0.0, 3.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<CalibrationPhoto> photos;
  for (int i = 0; i < 6000; ++i) {
    const double z = logit(rng);
    const bool present = uniform(rng) < 1.0 / (1.0 + std::exp(-z / 2.0));
    CalibrationPhoto p = photo(2, present ? std::vector<int>{1} : std::vector<int>{});
    p.evidence[1] = {z, 0.05};
    photos.push_back(p);
  }
  const CategoryThresholds rule = calibrate_category_rule(photos, 2);
  EXPECT_GT(rule.temperature, 2.0 / 1.16);
  EXPECT_LT(rule.temperature, 2.0 * 1.16);
}

TEST(CategoryCalibration, RareClassesTakeThePooledThresholds) {
  // Class 1: many photos (its own threshold 0.01). Classes 2 and 3: two positives each, pooled.
  std::vector<CalibrationPhoto> photos;
  for (int i = 0; i < 30; ++i) {
    std::vector<int> truth;
    if (i % 2 == 0) truth.push_back(1);
    if (i < 2) truth.push_back(2);
    if (i >= 2 && i < 4) truth.push_back(3);
    CalibrationPhoto p = photo(4, truth);
    p.evidence[1].area = i % 2 == 0 ? 0.015 : 0.002;
    p.evidence[2].area = i < 2 ? 0.05 : 0.0003;
    p.evidence[3].area = i >= 2 && i < 4 ? 0.05 : 0.0003;
    photos.push_back(p);
  }
  CalibrationOptions options;
  options.fit_temperature = false;
  const CategoryThresholds rule = calibrate_category_rule(photos, 4, options);
  EXPECT_DOUBLE_EQ(rule.min_area[1], 0.01);
  EXPECT_EQ(rule.min_area[2], rule.min_area[3]);
  EXPECT_GT(rule.min_area[2], 0.0003);
}

TEST(CategoryCalibration, CrossValidationScoresHeldOutPhotosOnly) {
  std::vector<CalibrationPhoto> photos = pieces_and_specks();
  // One photo whose truth contradicts its evidence: whichever fold holds it misses it.
  photos[1].truth = {1};
  const CategoryScores scores = cross_validated_scores(photos, 2, 4);
  EXPECT_EQ(scores.photos, 40u);
  EXPECT_EQ(scores.true_positives[1], 20u);
  EXPECT_EQ(scores.false_negatives[1], 1u);
  EXPECT_LT(scores.micro_f1, 1.0);
  EXPECT_THROW(cross_validated_scores(photos, 2, 1), Error);
  EXPECT_THROW(cross_validated_scores({photos[0]}, 2, 2), Error);
}

TEST(CategoryCalibration, RejectsEvidenceOfTheWrongLength) {
  std::vector<CalibrationPhoto> photos = {photo(3, {1})};
  EXPECT_THROW(calibrate_category_rule(photos, 4), Error);
  EXPECT_THROW(calibrate_category_rule({}, 4), Error);
}

}  // namespace
}  // namespace fashionseg
