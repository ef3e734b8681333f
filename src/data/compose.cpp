#include "fashionseg/data/compose.h"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace fashionseg {

OverlapPolicy parse_overlap_policy(const std::string& text) {
  if (text == "smallest-on-top") return OverlapPolicy::kSmallestOnTop;
  if (text == "largest-on-top") return OverlapPolicy::kLargestOnTop;
  if (text == "file-order") return OverlapPolicy::kFileOrder;
  throw_config_error("unknown overlap policy '" + text + "'",
                     "use smallest-on-top, largest-on-top or file-order");
}

std::string overlap_policy_name(OverlapPolicy policy) {
  switch (policy) {
    case OverlapPolicy::kSmallestOnTop:
      return "smallest-on-top";
    case OverlapPolicy::kLargestOnTop:
      return "largest-on-top";
    case OverlapPolicy::kFileOrder:
      return "file-order";
  }
  return "?";
}

cv::Mat compose_mask(const PhotoAnnotations& photo, const LabelSpace& labels,
                     OverlapPolicy policy) {
  if (!photo.semantic_mask.empty()) {
    cv::Mat lut(1, 256, CV_8UC1, cv::Scalar(kIgnoreValue));
    for (const auto& [id, value] : labels.mapping()) {
      if (id >= 0 && id < 256) lut.at<uint8_t>(id) = value;
    }
    cv::Mat mapped;
    cv::LUT(photo.semantic_mask, lut, mapped);
    return mapped;
  }
  // Paint order: the instance painted last is on top.
  std::vector<size_t> order(photo.instances.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::vector<size_t> areas(order.size());
  for (size_t i = 0; i < order.size(); ++i) areas[i] = photo.instances[i].area();
  if (policy == OverlapPolicy::kSmallestOnTop) {
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return areas[a] > areas[b]; });
  } else if (policy == OverlapPolicy::kLargestOnTop) {
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return areas[a] < areas[b]; });
  }
  // Runs are column-major: paint a transposed buffer with contiguous memsets, transpose once.
  cv::Mat column_major = cv::Mat::zeros(photo.width, photo.height, CV_8UC1);
  const size_t total = size_t(photo.width) * size_t(photo.height);
  for (size_t i : order) {
    const Instance& instance = photo.instances[i];
    const uint8_t value = labels.value_of(instance.category_id, instance.where);
    if (value == 0) continue;
    for (const RleRun& run : instance.runs) {
      if (size_t(run.start) + run.length > total) {
        throw_input_error("instance pixels lie outside the " + std::to_string(photo.width) + "x" +
                              std::to_string(photo.height) + " image",
                          instance.where);
      }
      std::memset(column_major.data + run.start, value, run.length);
    }
  }
  cv::Mat mask;
  if (total == 0) return cv::Mat::zeros(photo.height, photo.width, CV_8UC1);
  cv::transpose(column_major, mask);
  return mask;
}

}  // namespace fashionseg
