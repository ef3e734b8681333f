#pragma once
/// The category decision: which categories a photo shows, and their pieces, decided once per
/// photo by the inference engine (InferenceEngine::finish) and nowhere else. predict's JSON,
/// CSV and COCO outputs, serve's answer and evaluate's category scores all read its result.
///
/// Today the rule is the area rule over the argmax mask. A model with an image-level category
/// head adds its per-class probabilities to CategoryEvidence and per-class calibrated
/// thresholds to CategoryRule; decide_categories() combines them with the mask areas and sets
/// each category's confidence. Nothing else changes.

#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "fashionseg/found_categories.h"

namespace fashionseg {

/// What the decision reads for one photo.
struct CategoryEvidence {
  const cv::Mat& labels;  ///< the photo's label mask (CV_8UC1, the photo's size)
};

/// How categories are decided. `area` comes with each call (a request's min_area).
struct CategoryRule {
  AreaRule area;
};

/// The categories of one photo under `rule` (largest first) and, with `with_pieces`, their
/// connected pieces: one connected-components pass per category. Throws Error(kInput) for a
/// label mask that is not CV_8UC1.
MaskContents decide_categories(const CategoryEvidence& evidence,
                               const std::vector<std::string>& class_names,
                               const CategoryRule& rule, bool with_pieces);

}  // namespace fashionseg
