#pragma once
/// Which categories a photo shows: the per-class rule that turns a model's evidence (the
/// image-level head's probability, when the model has a head, and the share of the photo the
/// mask gives the class) into a decision with a confidence, and its calibration on validation
/// photos (per-class thresholds that maximise each class's F1, a temperature that makes the
/// head's probabilities honest). Torch-free: the rule travels in the checkpoint's JSON header.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace fashionseg {

/// What the model says about one class in one photo.
struct ClassEvidence {
  /// The head's raw logit for the class; NaN when the model has no image-level head.
  double logit = 0.0;
  /// Share of the photo's pixels that the mask gives the class, in [0, 1].
  double area = 0.0;
};

/// The per-class rule. Index = label value; entry 0 (background) is never a category.
struct CategoryThresholds {
  /// Head temperature: probability = sigmoid(logit / temperature). 1 = the raw head.
  double temperature = 1.0;
  /// Per class, the least calibrated head probability to list the class (unused without head).
  std::vector<double> min_probability;
  /// Per class, the least share of the photo the mask must give the class.
  std::vector<double> min_area;
  /// True once thresholds were fitted on photos (false = defaults).
  bool calibrated = false;
  /// The confidence of a listed category with a head: sigmoid(w[0] * logit / temperature +
  /// w[1] * ln(area) + w[2]), the probability that the photo shows it given both the head
  /// and the share of the photo the mask gives it (one logistic regression over every class,
  /// fitted by calibration). {1, 0, 0} = the head's calibrated probability alone.
  std::array<double, 3> confidence_weights = {1.0, 0.0, 0.0};

  /// The default rule for `num_classes` classes: probability 0.5 and the area rule's share.
  static CategoryThresholds defaults(int num_classes, double min_area_fraction = 0.001);

  /// Number of classes the rule covers (background included).
  int num_classes() const { return static_cast<int>(min_area.size()); }
  /// The calibrated probability of a head logit (sigmoid of logit / temperature).
  double probability(double logit) const;
  /// The confidence of a class with this evidence (confidence_weights); the head's
  /// probability alone when the area is 0, and NaN without a head (finite logit).
  double confidence(const ClassEvidence& evidence) const;
  /// Whether class `id` counts as found. With a head (finite logit) both the probability and
  /// the area must pass; without one, the area alone decides. Throws Error(kInput) for an id
  /// outside the rule.
  bool accepts(int id, const ClassEvidence& evidence) const;
};

/// The rule as JSON: {"temperature", "min_probability", "min_area", "calibrated",
/// "confidence_weights"} (the last optional when read: older files have none).
nlohmann::json category_rule_to_json(const CategoryThresholds& rule);
/// Reads category_rule_to_json's output; `where` names the source in errors. Throws
/// Error(kInput) for missing fields, wrong types, lengths that differ from `num_classes`, or
/// values outside [0, 1] (thresholds) / (0, 100] (temperature).
CategoryThresholds category_rule_from_json(const nlohmann::json& json, int num_classes,
                                           const std::string& where);

/// One calibration photo: the evidence per class (index = label value, entry 0 unused) and
/// the classes truly in it (from its mask or its tags).
struct CalibrationPhoto {
  std::vector<ClassEvidence> evidence;
  std::vector<int> truth;  ///< label values, any order, no background
};

/// How thresholds are searched.
struct CalibrationOptions {
  /// Candidate head probabilities and mask shares; each class takes the pair with the best F1
  /// on the calibration photos (ties: the higher thresholds, so fewer false alarms).
  std::vector<double> probability_grid = {0.05, 0.1,  0.15, 0.2,  0.25, 0.3,  0.35, 0.4,  0.45,
                                          0.5,  0.55, 0.6,  0.65, 0.7,  0.75, 0.8,  0.85, 0.9};
  std::vector<double> area_grid = {0.0001, 0.0003, 0.001, 0.002, 0.004, 0.007, 0.01, 0.02};
  /// Classes with fewer positive photos than this take the thresholds that are best for all
  /// such classes pooled (a per-class F1 from two photos is noise).
  int min_positives = 5;
  /// Fit a temperature (minimum binary cross-entropy over all photos and classes) first.
  bool fit_temperature = true;
  /// Only threshold pairs whose precision on the calibration photos is at least this compete
  /// for a class's best F1 (0 = no constraint). A class that no pair lists precisely enough
  /// gets thresholds that list it nowhere on those photos.
  double min_precision = 0.0;
};

/// Fits a rule for `num_classes` classes on the photos. Photos whose evidence has no head
/// (NaN logits) calibrate the areas only. Throws Error(kInput) when there are no photos or
/// a photo's evidence has the wrong length.
CategoryThresholds calibrate_category_rule(const std::vector<CalibrationPhoto>& photos,
                                           int num_classes, const CalibrationOptions& options = {});

/// Per-class and micro-averaged precision / recall / F1 of the rule's decisions on photos.
struct CategoryScores {
  std::vector<uint64_t> true_positives, false_positives, false_negatives;  ///< per class
  double micro_precision = 0, micro_recall = 0, micro_f1 = 0;              ///< NaN when undefined
  uint64_t photos = 0;
};
/// Scores `rule` on `photos` (class 0 never counted).
CategoryScores score_category_rule(const CategoryThresholds& rule,
                                   const std::vector<CalibrationPhoto>& photos);

/// An honest estimate of the calibrated rule's quality: the photos are cut into `folds`
/// interleaved parts, each part is scored with a rule calibrated on the others, and the counts
/// are added up. Throws Error(kInput) for folds < 2 or fewer photos than folds.
CategoryScores cross_validated_scores(const std::vector<CalibrationPhoto>& photos, int num_classes,
                                      int folds, const CalibrationOptions& options = {});

}  // namespace fashionseg
