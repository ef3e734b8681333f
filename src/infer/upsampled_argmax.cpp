#include "infer/upsampled_argmax.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "models/bilinear_kernel.h"

namespace fashionseg {

UpsampledArgmax upsampled_argmax(const torch::Tensor& logits, cv::Size size,
                                 WinnerProbability which) {
  if (!logits.defined() || logits.dim() != 3 || logits.scalar_type() != torch::kFloat ||
      !logits.device().is_cpu() || logits.stride(2) != 1 || logits.size(0) < 1 ||
      logits.size(0) > 256 || logits.size(1) < 1 || logits.size(2) < 1) {
    throw std::invalid_argument(
        "upsampled_argmax: needs float CPU logits [C <= 256, h, w] with unit stride along w");
  }
  if (size.width < 1 || size.height < 1) {
    throw std::invalid_argument("upsampled_argmax: the output size must be positive");
  }
  const int classes = static_cast<int>(logits.size(0));
  const int in_height = static_cast<int>(logits.size(1));
  const int in_width = static_cast<int>(logits.size(2));
  const int64_t class_stride = logits.stride(0);
  const int64_t row_stride = logits.stride(1);
  const float* data = logits.data_ptr<float>();
  const BilinearTaps rows = bilinear_taps(in_height, size.height);
  const BilinearTaps columns = bilinear_taps(in_width, size.width);
  UpsampledArgmax result;
  result.labels = cv::Mat(size, CV_8UC1);
  if (which != WinnerProbability::kNone) result.probability = cv::Mat::zeros(size, CV_32FC1);
  const auto width = static_cast<size_t>(size.width);

  at::parallel_for(0, size.height, 8, [&](int64_t begin, int64_t end) {
    // One output row of every class (C x width) and one source row blended vertically.
    std::vector<float> values(static_cast<size_t>(classes) * width);
    std::vector<float> blended(static_cast<size_t>(in_width));
    std::vector<float> best(width);
    std::vector<uint8_t> winner(width);
    for (int64_t y = begin; y < end; ++y) {
      const auto k = static_cast<size_t>(y);
      const float top_weight = rows.first_weight[k];
      const float bottom_weight = rows.second_weight[k];
      for (int c = 0; c < classes; ++c) {
        const float* top = data + c * class_stride + rows.first[k] * row_stride;
        const float* bottom = data + c * class_stride + rows.second[k] * row_stride;
        for (int x = 0; x < in_width; ++x) {
          blended[static_cast<size_t>(x)] = top[x] * top_weight + bottom[x] * bottom_weight;
        }
        float* out = values.data() + static_cast<size_t>(c) * width;
        for (size_t x = 0; x < width; ++x) {
          out[x] = blended[static_cast<size_t>(columns.first[x])] * columns.first_weight[x] +
                   blended[static_cast<size_t>(columns.second[x])] * columns.second_weight[x];
        }
      }
      std::copy(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(width), best.begin());
      std::fill(winner.begin(), winner.end(), uint8_t{0});
      for (int c = 1; c < classes; ++c) {
        const float* row = values.data() + static_cast<size_t>(c) * width;
        for (size_t x = 0; x < width; ++x) {
          // Strictly greater: the lowest class wins a tie, as torch's argmax.
          const bool wins = row[x] > best[x];
          best[x] = wins ? row[x] : best[x];
          winner[x] = wins ? static_cast<uint8_t>(c) : winner[x];
        }
      }
      std::copy(winner.begin(), winner.end(), result.labels.ptr<uint8_t>(static_cast<int>(y)));
      if (which == WinnerProbability::kNone) continue;
      float* probability = result.probability.ptr<float>(static_cast<int>(y));
      for (size_t x = 0; x < width; ++x) {
        if (which == WinnerProbability::kForeground && winner[x] == 0) continue;
        // softmax's maximum = 1 / sum of exp(logit - largest logit)
        float sum = 0.0f;
        for (int c = 0; c < classes; ++c) {
          sum += std::exp(values[static_cast<size_t>(c) * width + x] - best[x]);
        }
        probability[x] = 1.0f / sum;
      }
    }
  });
  return result;
}

}  // namespace fashionseg
