#include <limits>

#include "fashionseg/core/error.h"
#include "fashionseg/data/metrics.h"

namespace fashionseg {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double ratio(double numerator, double denominator) {
  return denominator == 0 ? kNaN : numerator / denominator;
}

// F1 from counts: 2TP / (2TP + FP + FN); NaN only when the class never occurs anywhere.
double f1_of(double tp, double fp, double fn) { return ratio(2 * tp, 2 * tp + fp + fn); }

}  // namespace

CategoryDetection::CategoryDetection(int num_classes, double min_area_fraction, int ignore_value)
    : num_classes_(num_classes),
      min_area_fraction_(min_area_fraction),
      ignore_value_(ignore_value),
      tp_(num_classes, 0),
      fp_(num_classes, 0),
      fn_(num_classes, 0) {
  if (min_area_fraction < 0 || min_area_fraction >= 1) {
    throw_config_error("minimum category area must be a fraction in [0, 1)");
  }
}

std::vector<int> CategoryDetection::present(const cv::Mat& mask) const {
  std::vector<uint64_t> histogram(256, 0);
  for (int y = 0; y < mask.rows; ++y) {
    const uint8_t* row = mask.ptr<uint8_t>(y);
    for (int x = 0; x < mask.cols; ++x) ++histogram[row[x]];
  }
  const uint64_t counted = static_cast<uint64_t>(mask.total()) - histogram[ignore_value_ & 255];
  std::vector<int> categories;
  for (int k = 1; k < num_classes_; ++k) {
    if (k == ignore_value_ || histogram[k] == 0) continue;
    if (static_cast<double>(histogram[k]) >= min_area_fraction_ * static_cast<double>(counted)) {
      categories.push_back(k);
    }
  }
  return categories;
}

void CategoryDetection::add(const cv::Mat& truth, const cv::Mat& prediction) {
  if (truth.type() != CV_8UC1 || prediction.type() != CV_8UC1 ||
      truth.size() != prediction.size()) {
    throw_input_error("truth and prediction must be 8-bit label masks of the same size");
  }
  // Ignored truth pixels are not evidence either way: hide them from the prediction too.
  cv::Mat visible_prediction = prediction.clone();
  visible_prediction.setTo(ignore_value_, truth == ignore_value_);
  std::vector<bool> in_truth(num_classes_, false), in_prediction(num_classes_, false);
  for (int k : present(truth)) in_truth[k] = true;
  for (int k : present(visible_prediction)) in_prediction[k] = true;
  count(in_truth, in_prediction);
}

void CategoryDetection::add(const cv::Mat& truth, const std::vector<int>& predicted) {
  if (truth.type() != CV_8UC1) throw_input_error("truth must be an 8-bit label mask");
  std::vector<bool> in_truth(num_classes_, false), in_prediction(num_classes_, false);
  for (int k : present(truth)) in_truth[k] = true;
  for (int k : predicted) {
    if (k > 0 && k < num_classes_ && k != ignore_value_) in_prediction[k] = true;
  }
  count(in_truth, in_prediction);
}

void CategoryDetection::add(const std::vector<int>& truth, const std::vector<int>& predicted) {
  std::vector<bool> in_truth(num_classes_, false), in_prediction(num_classes_, false);
  auto mark = [&](const std::vector<int>& ids, std::vector<bool>& in) {
    for (int k : ids) {
      if (k > 0 && k < num_classes_ && k != ignore_value_) in[k] = true;
    }
  };
  mark(truth, in_truth);
  mark(predicted, in_prediction);
  count(in_truth, in_prediction);
}

void CategoryDetection::count(const std::vector<bool>& in_truth,
                              const std::vector<bool>& in_prediction) {
  for (int k = 1; k < num_classes_; ++k) {
    if (in_truth[k] && in_prediction[k]) ++tp_[k];
    if (!in_truth[k] && in_prediction[k]) ++fp_[k];
    if (in_truth[k] && !in_prediction[k]) ++fn_[k];
  }
  ++images_;
}

void CategoryDetection::merge(const CategoryDetection& other) {
  for (int k = 0; k < num_classes_; ++k) {
    tp_[k] += other.tp_[k];
    fp_[k] += other.fp_[k];
    fn_[k] += other.fn_[k];
  }
  images_ += other.images_;
}

CategoryDetection::Scores CategoryDetection::scores() const {
  Scores s;
  s.images = images_;
  s.true_positives = tp_;
  s.false_positives = fp_;
  s.false_negatives = fn_;
  s.precision.assign(num_classes_, kNaN);
  s.recall.assign(num_classes_, kNaN);
  s.f1.assign(num_classes_, kNaN);
  double tp = 0, fp = 0, fn = 0;
  for (int k = 1; k < num_classes_; ++k) {
    s.precision[k] = ratio(tp_[k], tp_[k] + fp_[k]);
    s.recall[k] = ratio(tp_[k], tp_[k] + fn_[k]);
    s.f1[k] = f1_of(tp_[k], fp_[k], fn_[k]);
    tp += tp_[k];
    fp += fp_[k];
    fn += fn_[k];
  }
  s.micro_precision = ratio(tp, tp + fp);
  s.micro_recall = ratio(tp, tp + fn);
  s.micro_f1 = f1_of(tp, fp, fn);
  return s;
}

}  // namespace fashionseg
