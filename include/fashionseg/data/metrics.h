#pragma once
/// Segmentation metrics. Everything derives from one confusion matrix accumulated over a whole
/// dataset (never averaged per batch), so the numbers do not depend on batch size.
///
/// Stated rules:
/// - Pixels whose ground truth is the ignore value (255) are not counted at all.
/// - A class's IoU is NaN when it is absent from both ground truth and prediction
///   (TP + FP + FN = 0); means skip NaN classes. mean_iou averages classes present in ground
///   truth OR prediction (a predicted-but-absent class scores 0 and counts);
///   mean_iou_truth averages the classes present in ground truth only.
/// - Every mean over an empty set is NaN (never a silent 0 or 1).

#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace fashionseg {

/// counts[t * C + p] = pixels with ground truth t predicted as p.
class ConfusionMatrix {
 public:
  /// A zeroed C x C matrix; ground-truth pixels equal to `ignore_value` are skipped.
  explicit ConfusionMatrix(int num_classes, int ignore_value = 255);

  /// Adds n pixel pairs. Throws Error(kInput) if a truth value is >= C (and not ignore) or a
  /// predicted value is >= C.
  void add(const uint8_t* truth, const uint8_t* prediction, size_t n);
  /// Adds two CV_8UC1 masks of the same size.
  void add(const cv::Mat& truth, const cv::Mat& prediction);
  /// Adds another matrix of the same size (e.g. from another thread or rank).
  void merge(const ConfusionMatrix& other);
  /// Zeroes the counts.
  void reset();

  int num_classes() const { return num_classes_; }
  uint64_t at(int truth, int prediction) const {
    return counts_[static_cast<size_t>(truth) * num_classes_ + prediction];
  }
  const std::vector<uint64_t>& counts() const { return counts_; }
  std::vector<uint64_t>& mutable_counts() { return counts_; }
  /// Total counted pixels.
  uint64_t total() const;

 private:
  int num_classes_;
  int ignore_value_;
  std::vector<uint64_t> counts_;
};

/// All the pixel metrics derived from a confusion matrix.
struct SegmentationMetrics {
  std::vector<double> iou;             ///< per class, NaN when absent from truth and prediction
  std::vector<double> dice;            ///< per class F1 = 2TP/(2TP+FP+FN), NaN likewise
  std::vector<double> class_accuracy;  ///< per class recall TP/(TP+FN), NaN when absent in truth
  std::vector<uint64_t> truth_pixels;  ///< per class ground-truth pixel count
  double mean_iou = 0;                 ///< mean over classes present in truth or prediction
  double mean_iou_truth = 0;           ///< mean over classes present in ground truth
  double frequency_weighted_iou = 0;   ///< sum_c (truth share of c) * IoU_c
  double pixel_accuracy = 0;           ///< correct / counted pixels
  double mean_class_accuracy = 0;      ///< mean recall over classes present in truth
  double mean_dice = 0;                ///< mean Dice over classes present in truth or prediction
  /// Binary IoU of "any non-background class" vs background (class 0), as the original
  /// project reported it; comparable with its 0.807.
  double foreground_iou = 0;
};

/// Derives every metric from the matrix following the rules above.
SegmentationMetrics compute_metrics(const ConfusionMatrix& matrix);

/// Image-level category detection: which categories a photo contains ("predicted categories").
/// A category counts as present in a mask when it covers at least `min_area_fraction` of the
/// photo's counted pixels (the same rule for truth and prediction). Background (0) and the
/// ignore value are never categories.
class CategoryDetection {
 public:
  explicit CategoryDetection(int num_classes, double min_area_fraction = 0.001,
                             int ignore_value = 255);
  /// Adds one photo's ground truth and prediction (CV_8UC1, same size).
  void add(const cv::Mat& truth, const cv::Mat& prediction);
  /// Adds one photo's ground truth (CV_8UC1) and the categories a model decided it shows
  /// (label values; what predict lists for the photo). Values outside 1..num_classes-1 are
  /// ignored.
  void add(const cv::Mat& truth, const std::vector<int>& predicted);
  /// Adds one photo whose truth is a list of categories (its image-level tags, label
  /// values) and the categories a model decided it shows. Values outside
  /// 1..num_classes-1 are ignored on both sides.
  void add(const std::vector<int>& truth, const std::vector<int>& predicted);
  void merge(const CategoryDetection& other);

  /// Per-class and micro-averaged precision/recall/F1 (NaN when undefined).
  struct Scores {
    std::vector<double> precision, recall, f1;  ///< per class (index 0 unused: NaN)
    std::vector<uint64_t> true_positives, false_positives, false_negatives;
    double micro_precision = 0, micro_recall = 0, micro_f1 = 0;
    uint64_t images = 0;
  };
  Scores scores() const;

  /// The categories present in one mask under the area rule (ascending label values).
  std::vector<int> present(const cv::Mat& mask) const;

 private:
  void count(const std::vector<bool>& in_truth, const std::vector<bool>& in_prediction);

  int num_classes_;
  double min_area_fraction_;
  int ignore_value_;
  uint64_t images_ = 0;
  std::vector<uint64_t> tp_, fp_, fn_;
};

}  // namespace fashionseg
