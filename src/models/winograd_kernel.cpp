// The transforms are a few vector additions per value; what makes them cheap enough for the
// 2.25x fewer multiplications to pay is AVX512-BF16's rounding instruction (vcvtneps2bf16:
// one instruction for 16 values where integer rounding takes five per value), so they exist
// only for CPUs that have it, the CPUs fused convolutions run on (fused_convolution.h).
#include "models/winograd_kernel.h"

#include <array>

#include "tensor/bf16_vectors.h"

namespace fashionseg {

std::vector<WinogradTile> winograd_tiles(int images, int height, int width, int dilation) {
  std::vector<WinogradTile> tiles;
  for (int image = 0; image < images; ++image) {
    for (int row_phase = 0; row_phase < dilation && row_phase < height; ++row_phase) {
      const int rows = (height - row_phase + dilation - 1) / dilation;
      for (int column_phase = 0; column_phase < dilation && column_phase < width; ++column_phase) {
        const int columns = (width - column_phase + dilation - 1) / dilation;
        for (int ty = 0; ty < (rows + 1) / 2; ++ty) {
          for (int tx = 0; tx < (columns + 1) / 2; ++tx) {
            tiles.push_back(
                {image, row_phase + 2 * ty * dilation, column_phase + 2 * tx * dilation});
          }
        }
      }
    }
  }
  return tiles;
}

std::vector<float> winograd_weights(const float* weights, int in_channels, int out_channels) {
  // G = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]]
  static constexpr float kG[4][3] = {{1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};
  std::vector<float> u(static_cast<size_t>(16) * in_channels * out_channels);
  for (int out = 0; out < out_channels; ++out) {
    for (int in = 0; in < in_channels; ++in) {
      const float* g = weights + (static_cast<int64_t>(out) * in_channels + in) * 9;
      float gg[4][3];  // G g
      for (int i = 0; i < 4; ++i) {
        for (int b = 0; b < 3; ++b) {
          gg[i][b] = kG[i][0] * g[b] + kG[i][1] * g[3 + b] + kG[i][2] * g[6 + b];
        }
      }
      for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 4; ++j) {
          const float value = gg[i][0] * kG[j][0] + gg[i][1] * kG[j][1] + gg[i][2] * kG[j][2];
          u[(static_cast<size_t>(4 * i + j) * in_channels + in) * out_channels + out] = value;
        }
      }
    }
  }
  return u;
}

#ifdef FASHIONSEG_HAVE_BF16_VECTORS
namespace {

#define FASHIONSEG_BF16_TARGET __attribute__((target("avx512f,avx512bf16")))

FASHIONSEG_BF16_TARGET void input_transform(const uint16_t* input, int height, int width,
                                            int channels, int dilation, const WinogradTile* tiles,
                                            int64_t rows, int64_t begin, int64_t end, uint16_t* v) {
  const int64_t plane = rows * channels;  // one of the 16 transformed matrices
  for (int64_t t = begin; t < end; ++t) {
    const WinogradTile& tile = tiles[t];
    std::array<const uint16_t*, 16> patch{};  // null outside the image
    for (int i = 0; i < 4; ++i) {
      const int y = tile.y + (i - 1) * dilation;
      for (int j = 0; j < 4; ++j) {
        const int x = tile.x + (j - 1) * dilation;
        if (y >= 0 && y < height && x >= 0 && x < width) {
          patch[4 * i + j] =
              input + ((static_cast<int64_t>(tile.image) * height + y) * width + x) * channels;
        }
      }
    }
    uint16_t* out = v + t * channels;
    for (int c = 0; c < channels; c += 16) {
      __m512 d[16];
      for (int k = 0; k < 16; ++k)
        d[k] = patch[k] ? load_bf16x16(patch[k] + c) : _mm512_setzero_ps();
      // B^T d: rows 0 - 2, 1 + 2, 2 - 1, 1 - 3 of each column.
      __m512 r[16];
      for (int j = 0; j < 4; ++j) {
        r[j] = _mm512_sub_ps(d[j], d[8 + j]);
        r[4 + j] = _mm512_add_ps(d[4 + j], d[8 + j]);
        r[8 + j] = _mm512_sub_ps(d[8 + j], d[4 + j]);
        r[12 + j] = _mm512_sub_ps(d[4 + j], d[12 + j]);
      }
      // (B^T d) B: the same over the columns of each row.
      for (int i = 0; i < 4; ++i) {
        const __m512* row = r + 4 * i;
        uint16_t* at = out + static_cast<int64_t>(4 * i) * plane + c;
        store_bf16x16(at, _mm512_sub_ps(row[0], row[2]));
        store_bf16x16(at + plane, _mm512_add_ps(row[1], row[2]));
        store_bf16x16(at + 2 * plane, _mm512_sub_ps(row[2], row[1]));
        store_bf16x16(at + 3 * plane, _mm512_sub_ps(row[1], row[3]));
      }
    }
  }
}

FASHIONSEG_BF16_TARGET void output_transform(const float* m, int height, int width, int channels,
                                             int dilation, const WinogradTile* tiles, int64_t rows,
                                             int64_t begin, int64_t end, const float* bias,
                                             bool relu, uint16_t* output) {
  const int64_t plane = rows * channels;
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t t = begin; t < end; ++t) {
    const WinogradTile& tile = tiles[t];
    std::array<uint16_t*, 4> outputs{};  // null outside the image
    for (int i = 0; i < 2; ++i) {
      const int y = tile.y + i * dilation;
      for (int j = 0; j < 2; ++j) {
        const int x = tile.x + j * dilation;
        if (y < height && x < width) {
          outputs[2 * i + j] =
              output + ((static_cast<int64_t>(tile.image) * height + y) * width + x) * channels;
        }
      }
    }
    const float* in = m + t * channels;
    for (int c = 0; c < channels; c += 16) {
      __m512 p[16];
      for (int k = 0; k < 16; ++k) p[k] = _mm512_loadu_ps(in + k * plane + c);
      // A^T M: rows 0 + 1 + 2 and 1 - 2 - 3 of each column.
      __m512 s[8];
      for (int j = 0; j < 4; ++j) {
        s[j] = _mm512_add_ps(_mm512_add_ps(p[j], p[4 + j]), p[8 + j]);
        s[4 + j] = _mm512_sub_ps(_mm512_sub_ps(p[4 + j], p[8 + j]), p[12 + j]);
      }
      const __m512 b = bias ? _mm512_loadu_ps(bias + c) : zero;
      for (int i = 0; i < 2; ++i) {
        const __m512* row = s + 4 * i;
        __m512 y[2] = {_mm512_add_ps(_mm512_add_ps(row[0], row[1]), row[2]),
                       _mm512_sub_ps(_mm512_sub_ps(row[1], row[2]), row[3])};
        for (int j = 0; j < 2; ++j) {
          if (outputs[2 * i + j] == nullptr) continue;
          __m512 value = _mm512_add_ps(y[j], b);
          // Masked form for the reason in load_bf16x16 (bf16_vectors.h); NaN stays as in
          // torch.relu.
          if (relu)
            value = _mm512_mask_mov_ps(value, _mm512_cmp_ps_mask(value, zero, _CMP_LT_OQ), zero);
          store_bf16x16(outputs[2 * i + j] + c, value);
        }
      }
    }
  }
}

}  // namespace

bool winograd_available() { return __builtin_cpu_supports("avx512bf16"); }

void winograd_input_transform(const uint16_t* input, int height, int width, int channels,
                              int dilation, const WinogradTile* tiles, int64_t rows, int64_t begin,
                              int64_t end, uint16_t* v) {
  input_transform(input, height, width, channels, dilation, tiles, rows, begin, end, v);
}

void winograd_output_transform(const float* m, int height, int width, int channels, int dilation,
                               const WinogradTile* tiles, int64_t rows, int64_t begin, int64_t end,
                               const float* bias, bool relu, uint16_t* output) {
  output_transform(m, height, width, channels, dilation, tiles, rows, begin, end, bias, relu,
                   output);
}

#else

bool winograd_available() { return false; }

void winograd_input_transform(const uint16_t*, int, int, int, int, const WinogradTile*, int64_t,
                              int64_t, int64_t, uint16_t*) {}

void winograd_output_transform(const float*, int, int, int, int, const WinogradTile*, int64_t,
                               int64_t, int64_t, const float*, bool, uint16_t*) {}

#endif

}  // namespace fashionseg
