#include "train/sample_weights.h"

#include <algorithm>
#include <cmath>

#include "fashionseg/core/parallel.h"
#include "fashionseg/data/image_io.h"

namespace fashionseg {

std::vector<double> rare_class_sample_weights(const std::vector<DatasetEntry>& entries,
                                              int64_t num_classes, double strength, int threads) {
  std::vector<std::vector<bool>> present(entries.size(), std::vector<bool>(num_classes, false));
  parallel_for(entries.size(), threads, [&](size_t i) {
    const cv::Mat mask = read_label_mask(entries[i].mask);
    for (int y = 0; y < mask.rows; ++y) {
      const uint8_t* row = mask.ptr<uint8_t>(y);
      for (int x = 0; x < mask.cols; ++x) {
        if (row[x] < num_classes) present[i][row[x]] = true;
      }
    }
  });
  std::vector<double> photos_with(num_classes, 0);
  for (const auto& classes : present) {
    for (int64_t c = 0; c < num_classes; ++c) photos_with[c] += classes[c] ? 1 : 0;
  }
  const double photos = static_cast<double>(entries.size());
  std::vector<double> weights(entries.size(), 1.0);
  for (size_t i = 0; i < entries.size(); ++i) {
    double rarity = 1.0;
    for (int64_t c = 1; c < num_classes; ++c) {
      if (present[i][c]) rarity = std::max(rarity, photos / photos_with[c]);
    }
    weights[i] = std::pow(rarity, strength);
  }
  return weights;
}

}  // namespace fashionseg
