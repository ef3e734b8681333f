#pragma once
// Bilinear resizing as PyTorch computes it (align_corners=false), without tensors: the taps
// and weights along one axis, and the resize of channels-last rows. Shared by the models'
// inference-time resize (layers.h) and the engine's argmax at the photo's size
// (infer/upsampled_argmax.h).

#include <cstdint>
#include <vector>

namespace fashionseg {

/// For each output position along one axis: the two input positions it reads and their
/// weights, as PyTorch's upsample_bilinear2d computes them (align_corners=false, no scale
/// factor given): source = max(scale * (o + 0.5) - 0.5, 0) with scale = input / output in
/// float, first = floor(source), second = first + 1 clamped to the input, second_weight =
/// source - first.
struct BilinearTaps {
  std::vector<int> first, second;
  std::vector<float> first_weight, second_weight;
};

/// The taps of resizing `input` positions to `output` (both >= 1).
BilinearTaps bilinear_taps(int input, int output);

/// Output rows [row_begin, row_end) of a channels-last (H x W x C, contiguous) float image
/// `input` of in_height x in_width resized to `rows.first.size()` x `columns.first.size()`
/// into `output` (out_height x out_width x C, contiguous): each output row blends its two
/// input rows, then each output pixel its two columns. `scratch` holds in_width * channels
/// floats.
void resize_bilinear_hwc_rows(const float* input, int in_width, int channels, float* output,
                              const BilinearTaps& rows, const BilinearTaps& columns, int row_begin,
                              int row_end, float* scratch);

/// The same, each output value rounded to bfloat16 (to nearest, ties to even: what converting
/// the float result to bf16 gives) and stored as its 16 bits.
void resize_bilinear_hwc_rows_bf16(const float* input, int in_width, int channels, uint16_t* output,
                                   const BilinearTaps& rows, const BilinearTaps& columns,
                                   int row_begin, int row_end, float* scratch);

}  // namespace fashionseg
