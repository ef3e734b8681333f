#include "fashionseg/data/category_rule.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "fashionseg/core/error.h"

namespace fashionseg {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

double f1_of(uint64_t tp, uint64_t fp, uint64_t fn) {
  const double denominator = 2.0 * static_cast<double>(tp) + static_cast<double>(fp + fn);
  return denominator == 0 ? kNaN : 2.0 * static_cast<double>(tp) / denominator;
}

void check_photos(const std::vector<CalibrationPhoto>& photos, int num_classes) {
  if (photos.empty()) throw_input_error("category calibration needs at least one photo");
  if (num_classes < 2) throw_input_error("category calibration needs at least two classes");
  for (size_t i = 0; i < photos.size(); ++i) {
    if (static_cast<int>(photos[i].evidence.size()) != num_classes) {
      throw_input_error("calibration photo " + std::to_string(i) + " has evidence for " +
                        std::to_string(photos[i].evidence.size()) + " classes, expected " +
                        std::to_string(num_classes));
    }
  }
}

/// truth[i][c]: whether class c is in photo i.
std::vector<std::vector<bool>> truth_table(const std::vector<CalibrationPhoto>& photos,
                                           int num_classes) {
  std::vector<std::vector<bool>> table(photos.size(), std::vector<bool>(num_classes, false));
  for (size_t i = 0; i < photos.size(); ++i) {
    for (int c : photos[i].truth) {
      if (c > 0 && c < num_classes) table[i][c] = true;
    }
  }
  return table;
}

/// The temperature with the least binary cross-entropy of the head over every (photo, class)
/// pair, searched on a log grid from 1/4 to 4 (the head is over- or under-confident by at
/// most that much in practice; a grid cannot diverge as Newton steps on tiny sets can).
double fit_temperature(const std::vector<CalibrationPhoto>& photos,
                       const std::vector<std::vector<bool>>& truth, int num_classes) {
  double best_temperature = 1.0, best_loss = std::numeric_limits<double>::infinity();
  for (int step = -20; step <= 20; ++step) {
    const double temperature = std::pow(4.0, step / 20.0);
    double loss = 0;
    for (size_t i = 0; i < photos.size(); ++i) {
      for (int c = 1; c < num_classes; ++c) {
        const double logit = photos[i].evidence[c].logit;
        if (!std::isfinite(logit)) continue;
        const double z = logit / temperature;
        // log(1 + e^-|z|) + max(z, 0) - y z: the numerically stable BCE with logits.
        loss += std::log1p(std::exp(-std::abs(z))) + std::max(z, 0.0) - (truth[i][c] ? z : 0.0);
      }
    }
    if (loss < best_loss - 1e-12) {
      best_loss = loss;
      best_temperature = temperature;
    }
  }
  return best_temperature;
}

struct Counts {
  uint64_t tp = 0, fp = 0, fn = 0;
};

/// Counts of the decisions (probability >= p and area >= a) for the given classes pooled.
Counts count_decisions(const std::vector<CalibrationPhoto>& photos,
                       const std::vector<std::vector<bool>>& truth, const std::vector<int>& classes,
                       double temperature, double min_probability, double min_area) {
  Counts counts;
  for (size_t i = 0; i < photos.size(); ++i) {
    for (int c : classes) {
      const ClassEvidence& e = photos[i].evidence[c];
      bool found = e.area >= min_area && e.area > 0;
      if (std::isfinite(e.logit))
        found = found && sigmoid(e.logit / temperature) >= min_probability;
      if (found && truth[i][c]) ++counts.tp;
      if (found && !truth[i][c]) ++counts.fp;
      if (!found && truth[i][c]) ++counts.fn;
    }
  }
  return counts;
}

/// The grid pair with the best F1 for `classes` pooled among those precise enough
/// (options.min_precision); ties go to the higher thresholds.
std::pair<double, double> best_thresholds(const std::vector<CalibrationPhoto>& photos,
                                          const std::vector<std::vector<bool>>& truth,
                                          const std::vector<int>& classes, double temperature,
                                          bool has_head, const CalibrationOptions& options,
                                          std::pair<double, double> fallback) {
  double best_f1 = -1;
  std::pair<double, double> best = fallback;
  const std::vector<double> no_head = {fallback.first};
  for (double p : has_head ? options.probability_grid : no_head) {
    for (double a : options.area_grid) {
      const Counts counts = count_decisions(photos, truth, classes, temperature, p, a);
      const double f1 = f1_of(counts.tp, counts.fp, counts.fn);
      if (std::isnan(f1)) continue;
      // A pair that lists nothing is vacuously precise: the constrained answer of last resort.
      const uint64_t listed = counts.tp + counts.fp;
      const double precision = listed ? static_cast<double>(counts.tp) / listed : 1.0;
      if (precision < options.min_precision) continue;
      // Grids ascend, so ">=" keeps the higher thresholds among equals.
      if (f1 >= best_f1) {
        best_f1 = f1;
        best = {p, a};
      }
    }
  }
  return best;
}

/// The confidence model of CategoryThresholds: a logistic regression of "the class is in the
/// photo" on the tempered head logit and the log of the mask's share, over every (photo,
/// class) pair where the mask shows the class at all (only those can be listed). Newton's
/// method with step halving and a small ridge (1e-3) that keeps it defined when one feature
/// separates the classes; {1, 0, 0} when there are too few pairs of either kind to fit.
std::array<double, 3> fit_confidence(const std::vector<CalibrationPhoto>& photos,
                                     const std::vector<std::vector<bool>>& truth, int num_classes,
                                     double temperature) {
  std::vector<std::array<double, 3>> x;
  std::vector<double> y;
  for (size_t i = 0; i < photos.size(); ++i) {
    for (int c = 1; c < num_classes; ++c) {
      const ClassEvidence& e = photos[i].evidence[c];
      if (!std::isfinite(e.logit) || !(e.area > 0)) continue;
      x.push_back({e.logit / temperature, std::log(e.area), 1.0});
      y.push_back(truth[i][c] ? 1.0 : 0.0);
    }
  }
  const double positives = std::accumulate(y.begin(), y.end(), 0.0);
  if (positives < 5 || y.size() - positives < 5) return {1.0, 0.0, 0.0};
  // Mean cross-entropy plus the ridge.
  auto loss = [&](const std::array<double, 3>& v) {
    double total = 0;
    for (size_t n = 0; n < x.size(); ++n) {
      const double z = v[0] * x[n][0] + v[1] * x[n][1] + v[2] * x[n][2];
      // log(1 + e^z) - y z, computed without overflow
      total += std::max(z, 0.0) + std::log1p(std::exp(-std::abs(z))) - y[n] * z;
    }
    return total + 0.5e-3 * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  };
  std::array<double, 3> w = {1.0, 0.0, 0.0};
  for (int iteration = 0; iteration < 100; ++iteration) {
    double gradient[3] = {0, 0, 0}, hessian[3][3] = {};
    for (size_t n = 0; n < x.size(); ++n) {
      const double p = sigmoid(w[0] * x[n][0] + w[1] * x[n][1] + w[2] * x[n][2]);
      for (int a = 0; a < 3; ++a) {
        gradient[a] += (p - y[n]) * x[n][a];
        for (int b = 0; b < 3; ++b) hessian[a][b] += p * (1 - p) * x[n][a] * x[n][b];
      }
    }
    for (int a = 0; a < 3; ++a) {
      gradient[a] += 1e-3 * w[a];
      hessian[a][a] += 1e-3;
    }
    // Solve hessian * step = gradient (3 x 3, Cramer's rule: the matrix is positive definite).
    auto det = [](const double m[3][3]) {
      return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
             m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
             m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    };
    const double d = det(hessian);
    if (!(std::abs(d) > 1e-12)) break;
    double step[3];
    for (int k = 0; k < 3; ++k) {
      double m[3][3];
      for (int a = 0; a < 3; ++a) {
        for (int b = 0; b < 3; ++b) m[a][b] = b == k ? gradient[a] : hessian[a][b];
      }
      step[k] = det(m) / d;
    }
    // Newton's full step can overshoot from a poor start: halve it until the loss falls.
    const double before = loss(w);
    double scale = 1.0;
    std::array<double, 3> next = w;
    for (int halving = 0; halving < 30; ++halving, scale *= 0.5) {
      for (int k = 0; k < 3; ++k) next[k] = w[k] - scale * step[k];
      if (loss(next) <= before) break;
    }
    double change = 0;
    for (int k = 0; k < 3; ++k) change = std::max(change, std::abs(next[k] - w[k]));
    w = next;
    if (change < 1e-8) break;
  }
  for (double v : w) {
    if (!std::isfinite(v) || std::abs(v) > 1000) return {1.0, 0.0, 0.0};
  }
  return w;
}

/// Fills the micro-averaged figures from the per-class counts (class 0 left out).
void add_micro_averages(CategoryScores& scores) {
  uint64_t tp = 0, fp = 0, fn = 0;
  for (size_t c = 1; c < scores.true_positives.size(); ++c) {
    tp += scores.true_positives[c];
    fp += scores.false_positives[c];
    fn += scores.false_negatives[c];
  }
  const auto ratio = [](uint64_t a, uint64_t b) {
    return b == 0 ? kNaN : static_cast<double>(a) / static_cast<double>(b);
  };
  scores.micro_precision = ratio(tp, tp + fp);
  scores.micro_recall = ratio(tp, tp + fn);
  scores.micro_f1 = f1_of(tp, fp, fn);
}

}  // namespace

CategoryThresholds CategoryThresholds::defaults(int num_classes, double min_area_fraction) {
  CategoryThresholds rule;
  rule.min_probability.assign(static_cast<size_t>(std::max(num_classes, 0)), 0.5);
  rule.min_area.assign(static_cast<size_t>(std::max(num_classes, 0)), min_area_fraction);
  return rule;
}

double CategoryThresholds::probability(double logit) const { return sigmoid(logit / temperature); }

double CategoryThresholds::confidence(const ClassEvidence& evidence) const {
  if (!std::isfinite(evidence.logit)) return kNaN;
  if (!(evidence.area > 0)) return probability(evidence.logit);
  const auto& w = confidence_weights;
  return sigmoid(w[0] * evidence.logit / temperature + w[1] * std::log(evidence.area) + w[2]);
}

bool CategoryThresholds::accepts(int id, const ClassEvidence& evidence) const {
  if (id <= 0 || id >= num_classes()) {
    throw_input_error("class " + std::to_string(id) + " is outside the category rule's " +
                      std::to_string(num_classes()) + " classes");
  }
  // A category needs pixels to be shown, whatever the head says.
  if (!(evidence.area > 0) || evidence.area < min_area[id]) return false;
  if (!std::isfinite(evidence.logit)) return true;
  return probability(evidence.logit) >= min_probability[id];
}

nlohmann::json category_rule_to_json(const CategoryThresholds& rule) {
  return {{"temperature", rule.temperature},
          {"min_probability", rule.min_probability},
          {"min_area", rule.min_area},
          {"calibrated", rule.calibrated},
          {"confidence_weights", rule.confidence_weights}};
}

CategoryThresholds category_rule_from_json(const nlohmann::json& json, int num_classes,
                                           const std::string& where) {
  auto fail = [&](const std::string& message) {
    throw_input_error("category rule: " + message, Location{where, 0, {}});
  };
  if (!json.is_object()) fail("must be a JSON object");
  for (const char* key : {"temperature", "min_probability", "min_area", "calibrated"}) {
    if (!json.contains(key)) fail(std::string("missing \"") + key + "\"");
  }
  CategoryThresholds rule;
  if (!json["temperature"].is_number()) fail("\"temperature\" must be a number");
  rule.temperature = json["temperature"].get<double>();
  if (!(rule.temperature > 0 && rule.temperature <= 100)) fail("temperature outside (0, 100]");
  if (!json["calibrated"].is_boolean()) fail("\"calibrated\" must be true or false");
  rule.calibrated = json["calibrated"].get<bool>();
  auto thresholds = [&](const char* key) {
    const nlohmann::json& values = json[key];
    if (!values.is_array() || values.size() != static_cast<size_t>(num_classes)) {
      fail(std::string("\"") + key + "\" must list " + std::to_string(num_classes) + " numbers");
    }
    std::vector<double> out;
    for (const auto& value : values) {
      if (!value.is_number()) fail(std::string("\"") + key + "\" must hold numbers only");
      const double v = value.get<double>();
      if (!(v >= 0 && v <= 1)) fail(std::string("\"") + key + "\" values must be in [0, 1]");
      out.push_back(v);
    }
    return out;
  };
  rule.min_probability = thresholds("min_probability");
  rule.min_area = thresholds("min_area");
  if (json.contains("confidence_weights")) {
    const nlohmann::json& w = json["confidence_weights"];
    if (!w.is_array() || w.size() != 3) fail("\"confidence_weights\" must list 3 numbers");
    for (size_t k = 0; k < 3; ++k) {
      if (!w[k].is_number() || !std::isfinite(w[k].get<double>()) ||
          std::abs(w[k].get<double>()) > 1000) {
        fail("\"confidence_weights\" must hold numbers within +-1000");
      }
      rule.confidence_weights[k] = w[k].get<double>();
    }
  }
  return rule;
}

CategoryThresholds calibrate_category_rule(const std::vector<CalibrationPhoto>& photos,
                                           int num_classes, const CalibrationOptions& options) {
  check_photos(photos, num_classes);
  if (options.probability_grid.empty() || options.area_grid.empty()) {
    throw_config_error("calibration grids must not be empty");
  }
  const auto truth = truth_table(photos, num_classes);
  bool has_head = false;
  for (const auto& photo : photos) {
    for (int c = 1; c < num_classes; ++c)
      has_head = has_head || std::isfinite(photo.evidence[c].logit);
  }
  CategoryThresholds rule = CategoryThresholds::defaults(num_classes);
  if (has_head && options.fit_temperature) {
    rule.temperature = fit_temperature(photos, truth, num_classes);
  }
  // Classes seen too rarely to judge on their own share the thresholds best for them pooled.
  std::vector<int> rare, all;
  std::vector<int> positives(num_classes, 0);
  for (size_t i = 0; i < photos.size(); ++i) {
    for (int c = 1; c < num_classes; ++c) positives[c] += truth[i][c] ? 1 : 0;
  }
  for (int c = 1; c < num_classes; ++c) {
    all.push_back(c);
    if (positives[c] < options.min_positives) rare.push_back(c);
  }
  const std::pair<double, double> defaults = {rule.min_probability[1], rule.min_area[1]};
  const std::pair<double, double> pooled = best_thresholds(
      photos, truth, rare.empty() ? all : rare, rule.temperature, has_head, options, defaults);
  for (int c = 1; c < num_classes; ++c) {
    const std::pair<double, double> chosen =
        positives[c] < options.min_positives
            ? pooled
            : best_thresholds(photos, truth, {c}, rule.temperature, has_head, options, pooled);
    rule.min_probability[c] = chosen.first;
    rule.min_area[c] = chosen.second;
  }
  if (has_head)
    rule.confidence_weights = fit_confidence(photos, truth, num_classes, rule.temperature);
  rule.calibrated = true;
  return rule;
}

CategoryScores score_category_rule(const CategoryThresholds& rule,
                                   const std::vector<CalibrationPhoto>& photos) {
  const int num_classes = rule.num_classes();
  CategoryScores scores;
  scores.true_positives.assign(num_classes, 0);
  scores.false_positives.assign(num_classes, 0);
  scores.false_negatives.assign(num_classes, 0);
  if (!photos.empty()) check_photos(photos, num_classes);
  const auto truth = truth_table(photos, num_classes);
  for (size_t i = 0; i < photos.size(); ++i) {
    for (int c = 1; c < num_classes; ++c) {
      const bool found = rule.accepts(c, photos[i].evidence[c]);
      if (found && truth[i][c]) ++scores.true_positives[c];
      if (found && !truth[i][c]) ++scores.false_positives[c];
      if (!found && truth[i][c]) ++scores.false_negatives[c];
    }
  }
  scores.photos = photos.size();
  add_micro_averages(scores);
  return scores;
}

CategoryScores cross_validated_scores(const std::vector<CalibrationPhoto>& photos, int num_classes,
                                      int folds, const CalibrationOptions& options) {
  if (folds < 2) throw_input_error("cross-validation needs at least 2 folds");
  if (photos.size() < static_cast<size_t>(folds)) {
    throw_input_error("cross-validation needs at least as many photos as folds");
  }
  check_photos(photos, num_classes);
  CategoryScores total;
  total.true_positives.assign(num_classes, 0);
  total.false_positives.assign(num_classes, 0);
  total.false_negatives.assign(num_classes, 0);
  for (int fold = 0; fold < folds; ++fold) {
    std::vector<CalibrationPhoto> fit, held_out;
    for (size_t i = 0; i < photos.size(); ++i) {
      (static_cast<int>(i % folds) == fold ? held_out : fit).push_back(photos[i]);
    }
    const CategoryScores part =
        score_category_rule(calibrate_category_rule(fit, num_classes, options), held_out);
    for (int c = 0; c < num_classes; ++c) {
      total.true_positives[c] += part.true_positives[c];
      total.false_positives[c] += part.false_positives[c];
      total.false_negatives[c] += part.false_negatives[c];
    }
    total.photos += part.photos;
  }
  add_micro_averages(total);
  return total;
}

}  // namespace fashionseg
