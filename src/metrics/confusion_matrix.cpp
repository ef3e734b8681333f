#include <cmath>
#include <limits>
#include <numeric>

#include "fashionseg/core/error.h"
#include "fashionseg/data/metrics.h"

namespace fashionseg {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double nan_mean(const std::vector<double>& values) {
  double sum = 0;
  size_t count = 0;
  for (double v : values) {
    if (!std::isnan(v)) {
      sum += v;
      ++count;
    }
  }
  return count == 0 ? kNaN : sum / static_cast<double>(count);
}

double ratio(double numerator, double denominator) {
  return denominator == 0 ? kNaN : numerator / denominator;
}

}  // namespace

ConfusionMatrix::ConfusionMatrix(int num_classes, int ignore_value)
    : num_classes_(num_classes),
      ignore_value_(ignore_value),
      counts_(static_cast<size_t>(num_classes) * num_classes, 0) {
  if (num_classes < 1 || num_classes > 256) {
    throw_config_error("a confusion matrix needs 1..256 classes, got " +
                       std::to_string(num_classes));
  }
}

void ConfusionMatrix::add(const uint8_t* truth, const uint8_t* prediction, size_t n) {
  const int c = num_classes_;
  for (size_t i = 0; i < n; ++i) {
    const int t = truth[i];
    if (t == ignore_value_) continue;
    const int p = prediction[i];
    if (t >= c || p >= c) {
      throw_input_error("label out of range: truth " + std::to_string(t) + ", prediction " +
                            std::to_string(p) + " with " + std::to_string(c) + " classes",
                        {"", 0, "pixel " + std::to_string(i)});
    }
    ++counts_[static_cast<size_t>(t) * c + p];
  }
}

void ConfusionMatrix::add(const cv::Mat& truth, const cv::Mat& prediction) {
  if (truth.type() != CV_8UC1 || prediction.type() != CV_8UC1 ||
      truth.size() != prediction.size()) {
    throw_input_error("truth and prediction must be 8-bit label masks of the same size");
  }
  for (int y = 0; y < truth.rows; ++y) {
    add(truth.ptr<uint8_t>(y), prediction.ptr<uint8_t>(y), static_cast<size_t>(truth.cols));
  }
}

void ConfusionMatrix::merge(const ConfusionMatrix& other) {
  if (other.num_classes_ != num_classes_) {
    throw Error(ErrorKind::kInternal, "merging confusion matrices of different sizes");
  }
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
}

void ConfusionMatrix::reset() { std::fill(counts_.begin(), counts_.end(), 0); }

uint64_t ConfusionMatrix::total() const {
  return std::accumulate(counts_.begin(), counts_.end(), uint64_t{0});
}

SegmentationMetrics compute_metrics(const ConfusionMatrix& matrix) {
  const int c = matrix.num_classes();
  SegmentationMetrics m;
  m.iou.assign(c, kNaN);
  m.dice.assign(c, kNaN);
  m.class_accuracy.assign(c, kNaN);
  m.truth_pixels.assign(c, 0);
  std::vector<double> predicted(c, 0), diagonal(c, 0);
  for (int t = 0; t < c; ++t) {
    for (int p = 0; p < c; ++p) {
      const uint64_t n = matrix.at(t, p);
      m.truth_pixels[t] += n;
      predicted[p] += static_cast<double>(n);
    }
    diagonal[t] = static_cast<double>(matrix.at(t, t));
  }
  const double total = static_cast<double>(matrix.total());
  double correct = 0, fw = 0;
  std::vector<double> iou_truth(c, kNaN);
  for (int k = 0; k < c; ++k) {
    const double tp = diagonal[k];
    const double truth = static_cast<double>(m.truth_pixels[k]);
    const double fn = truth - tp, fp = predicted[k] - tp;
    correct += tp;
    m.iou[k] = ratio(tp, tp + fp + fn);
    m.dice[k] = ratio(2 * tp, 2 * tp + fp + fn);
    m.class_accuracy[k] = ratio(tp, truth);
    if (truth > 0) {
      iou_truth[k] = m.iou[k];
      fw += truth / total * m.iou[k];
    }
  }
  m.mean_iou = nan_mean(m.iou);
  m.mean_iou_truth = nan_mean(iou_truth);
  m.mean_dice = nan_mean(m.dice);
  m.mean_class_accuracy = nan_mean(m.class_accuracy);
  m.pixel_accuracy = ratio(correct, total);
  m.frequency_weighted_iou = total == 0 ? kNaN : fw;

  // Foreground = every class but 0.
  double fg_tp = 0, fg_fp = 0, fg_fn = 0;
  for (int t = 0; t < c; ++t) {
    for (int p = 0; p < c; ++p) {
      const double n = static_cast<double>(matrix.at(t, p));
      if (t != 0 && p != 0) fg_tp += n;
      if (t == 0 && p != 0) fg_fp += n;
      if (t != 0 && p == 0) fg_fn += n;
    }
  }
  m.foreground_iou = ratio(fg_tp, fg_tp + fg_fp + fg_fn);
  return m;
}

}  // namespace fashionseg
