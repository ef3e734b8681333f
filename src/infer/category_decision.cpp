#include "infer/category_decision.h"

#include <array>
#include <limits>

#include "fashionseg/core/error.h"

namespace fashionseg {
namespace {

/// Mean of `values` over the pixels of each label value (0 for absent values).
std::array<double, 256> mean_per_label(const cv::Mat& labels, const cv::Mat& values) {
  std::array<double, 256> sums{};
  std::array<int64_t, 256> counts{};
  for (int y = 0; y < labels.rows; ++y) {
    const uint8_t* label = labels.ptr<uint8_t>(y);
    const float* value = values.ptr<float>(y);
    for (int x = 0; x < labels.cols; ++x) {
      sums[label[x]] += value[x];
      ++counts[label[x]];
    }
  }
  for (size_t v = 0; v < sums.size(); ++v) sums[v] = counts[v] ? sums[v] / counts[v] : 0.0;
  return sums;
}

/// Share of the photo each label value covers.
std::vector<double> label_shares(const cv::Mat& labels, int num_classes) {
  std::vector<int64_t> counts(256, 0);
  for (int y = 0; y < labels.rows; ++y) {
    const uint8_t* row = labels.ptr<uint8_t>(y);
    for (int x = 0; x < labels.cols; ++x) ++counts[row[x]];
  }
  std::vector<double> shares(num_classes, 0.0);
  const double total = static_cast<double>(labels.total());
  for (int c = 0; c < num_classes && c < 256; ++c) shares[c] = counts[c] / total;
  return shares;
}

}  // namespace

CategoryThresholds effective_thresholds(const CategoryRule& rule, int num_classes) {
  CategoryThresholds thresholds = rule.thresholds.num_classes() > 0
                                      ? rule.thresholds
                                      : CategoryThresholds::defaults(num_classes);
  if (thresholds.num_classes() != num_classes) {
    throw_input_error("the category rule covers " + std::to_string(thresholds.num_classes()) +
                      " classes, the model has " + std::to_string(num_classes));
  }
  if (rule.area.overrides_calibration || rule.thresholds.num_classes() == 0) {
    std::fill(thresholds.min_area.begin(), thresholds.min_area.end(), rule.area.min_area_fraction);
  }
  return thresholds;
}

MaskContents decide_categories(const CategoryEvidence& evidence,
                               const std::vector<std::string>& class_names,
                               const CategoryRule& rule, bool with_pieces) {
  const int num_classes = static_cast<int>(class_names.size());
  const bool has_head = !evidence.head_logits.empty();
  auto pixel_confidence = [&](MaskContents& contents) {
    if (evidence.pixel_confidence.empty()) return;
    const std::array<double, 256> means =
        mean_per_label(evidence.labels, evidence.pixel_confidence);
    for (auto& category : contents.categories) category.confidence = means[category.id];
  };
  if (!has_head && rule.thresholds.num_classes() == 0) {
    MaskContents contents = find_contents(evidence.labels, class_names, rule.area, with_pieces);
    pixel_confidence(contents);
    return contents;
  }
  if (has_head && static_cast<int>(evidence.head_logits.size()) != num_classes) {
    throw_input_error("the category head gave " + std::to_string(evidence.head_logits.size()) +
                      " logits for " + std::to_string(num_classes) + " classes");
  }
  if (evidence.labels.empty() || evidence.labels.type() != CV_8UC1) {
    throw_input_error("a label mask must be a non-empty 8-bit single-channel image");
  }
  const CategoryThresholds thresholds = effective_thresholds(rule, num_classes);
  const std::vector<double> shares = label_shares(evidence.labels, num_classes);
  // A class the rule rejects gets an area threshold no class can reach (above 1).
  std::vector<double> min_area(num_classes, 2.0);
  for (int c = 1; c < num_classes; ++c) {
    const double logit =
        has_head ? evidence.head_logits[c] : std::numeric_limits<double>::quiet_NaN();
    if (thresholds.accepts(c, ClassEvidence{logit, shares[c]})) {
      min_area[c] = thresholds.min_area[c];
    }
  }
  MaskContents contents =
      find_contents(evidence.labels, class_names, min_area, rule.area.piece_fraction, with_pieces);
  if (!has_head) {
    pixel_confidence(contents);
    return contents;
  }
  for (auto& category : contents.categories) {
    category.confidence = thresholds.confidence(
        ClassEvidence{evidence.head_logits[category.id], shares[category.id]});
  }
  return contents;
}

}  // namespace fashionseg
