#pragma once
/// The category decision: which categories a photo shows, with what confidence, and their
/// pieces, decided once per photo by the inference engine (InferenceEngine::finish) and
/// nowhere else. predict's JSON, CSV and COCO outputs, serve's answer, evaluate's and
/// calibrate's category scores all read its result.
///
/// A model without an image-level category head and without calibrated thresholds keeps the
/// area rule over the argmax mask. Otherwise, per class, the head's calibrated probability
/// (where there is a head) and the mask's area are held against the thresholds of its
/// CategoryThresholds (category_rule.h), stored in the checkpoint by `fashionseg calibrate`.

#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "fashionseg/data/category_rule.h"
#include "fashionseg/data/found_categories.h"

namespace fashionseg {

/// What the decision reads for one photo.
struct CategoryEvidence {
  const cv::Mat& labels;  ///< the photo's label mask (CV_8UC1, the photo's size)
  /// The category head's logits, one per class (index = label value); empty without a head.
  const std::vector<double>& head_logits;
  /// Per pixel, the winning class's probability (CV_32FC1, the photo's size); read for the
  /// confidence of models without a head, may be empty for models with one.
  const cv::Mat& pixel_confidence;
};

/// How categories are decided.
struct CategoryRule {
  AreaRule area;  ///< the call's area rule (a request's min_area)
  /// The model's thresholds (num_classes() == 0: none stored).
  const CategoryThresholds& thresholds;
};

/// The thresholds a photo is decided with: the model's (or, for a head without stored ones,
/// CategoryThresholds::defaults), with the area thresholds replaced by the call's min_area
/// when it overrides calibration. Throws Error(kInput) when stored thresholds do not cover
/// `num_classes` classes.
CategoryThresholds effective_thresholds(const CategoryRule& rule, int num_classes);

/// The categories of one photo (largest first) with their confidence and, with
/// `with_pieces`, their connected pieces. Without head logits and stored thresholds: the area
/// rule. Otherwise CategoryThresholds::accepts per class. Confidence: with a head,
/// CategoryThresholds::confidence (head and area together), or without one the mean pixel
/// confidence. Throws Error(kInput) for a label mask
/// that is not CV_8UC1 or head logits of another length than class_names.
MaskContents decide_categories(const CategoryEvidence& evidence,
                               const std::vector<std::string>& class_names,
                               const CategoryRule& rule, bool with_pieces);

}  // namespace fashionseg
