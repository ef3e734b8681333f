// On x86-64 the row kernel is cloned for AVX-512 and AVX2, the clone picked at load time:
// resizing logits to the input size is a few multiply-adds per output value, and the baseline's
// 4-wide code made it the slowest step of an LR-ASPP forward pass after its convolutions.
#include "models/bilinear_kernel.h"

#include <algorithm>
#include <cstddef>

#include "tensor/bf16_bits.h"
#include "tensor/vector_clones.h"

namespace fashionseg {

BilinearTaps bilinear_taps(int input, int output) {
  BilinearTaps taps;
  const auto n = static_cast<size_t>(output);
  taps.first.resize(n);
  taps.second.resize(n);
  taps.first_weight.resize(n);
  taps.second_weight.resize(n);
  const float scale = static_cast<float>(input) / static_cast<float>(output);
  for (size_t o = 0; o < n; ++o) {
    const float source = std::max(scale * (static_cast<float>(o) + 0.5f) - 0.5f, 0.0f);
    const int first = static_cast<int>(source);
    const float second_weight = std::clamp(source - static_cast<float>(first), 0.0f, 1.0f);
    taps.first[o] = first;
    taps.second[o] = first + (first < input - 1 ? 1 : 0);
    taps.second_weight[o] = second_weight;
    taps.first_weight[o] = 1.0f - second_weight;
  }
  return taps;
}

namespace {

inline float stored(float value, float*) { return value; }
inline uint16_t stored(float value, uint16_t*) { return float_to_bf16_bits(value); }

template <typename Out>
__attribute__((always_inline)) inline void resize_rows(const float* input, int in_width,
                                                       int channels, Out* output,
                                                       const BilinearTaps& rows,
                                                       const BilinearTaps& columns, int row_begin,
                                                       int row_end, float* scratch) {
  const auto c = static_cast<size_t>(channels);
  const size_t in_row = static_cast<size_t>(in_width) * c;
  const size_t out_width = columns.first.size();
  for (int y = row_begin; y < row_end; ++y) {
    const auto k = static_cast<size_t>(y);
    const float* top = input + static_cast<size_t>(rows.first[k]) * in_row;
    const float* bottom = input + static_cast<size_t>(rows.second[k]) * in_row;
    const float top_weight = rows.first_weight[k];
    const float bottom_weight = rows.second_weight[k];
    for (size_t i = 0; i < in_row; ++i)
      scratch[i] = top[i] * top_weight + bottom[i] * bottom_weight;
    Out* out = output + k * out_width * c;
    for (size_t x = 0; x < out_width; ++x) {
      const float* left = scratch + static_cast<size_t>(columns.first[x]) * c;
      const float* right = scratch + static_cast<size_t>(columns.second[x]) * c;
      const float left_weight = columns.first_weight[x];
      const float right_weight = columns.second_weight[x];
      Out* pixel = out + x * c;
      for (size_t j = 0; j < c; ++j) {
        pixel[j] = stored(left[j] * left_weight + right[j] * right_weight, pixel);
      }
    }
  }
}

}  // namespace

FASHIONSEG_VECTOR_CLONES
void resize_bilinear_hwc_rows(const float* input, int in_width, int channels, float* output,
                              const BilinearTaps& rows, const BilinearTaps& columns, int row_begin,
                              int row_end, float* scratch) {
  resize_rows(input, in_width, channels, output, rows, columns, row_begin, row_end, scratch);
}

FASHIONSEG_VECTOR_CLONES
void resize_bilinear_hwc_rows_bf16(const float* input, int in_width, int channels, uint16_t* output,
                                   const BilinearTaps& rows, const BilinearTaps& columns,
                                   int row_begin, int row_end, float* scratch) {
  resize_rows(input, in_width, channels, output, rows, columns, row_begin, row_end, scratch);
}

}  // namespace fashionseg
