#pragma once
// The transforms of Winograd's F(2x2, 3x3) convolution on channels-last bf16 feature maps,
// dilated or not, without tensors. A 3x3 convolution (stride 1, padding = dilation, so the
// output has the input's size) becomes: each 2x2 block of outputs ("tile", its pixels `d`
// apart for dilation d) reads a 4x4 patch of inputs, transformed to 16 values per channel
// (V = B^T x B); 16 matrix products V[p] (tiles x in) * U[p] (in x out) with the weights
// transformed once (U = G g G^T); and the products transformed back (Y = A^T M A). That is
// 16 multiplications per 4 outputs and channel pair where the direct convolution makes 36.
// Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2016), matrices B, G, A.

#include <cstdint>
#include <vector>

namespace fashionseg {

/// A tile's top-left output pixel: image n, row y, column x. Its outputs are
/// (y + i * dilation, x + j * dilation) for i, j in {0, 1}, those inside the image.
struct WinogradTile {
  int32_t image, y, x;
};

/// Every tile of an images x height x width output for `dilation`: the pixels of each of the
/// dilation^2 interleaved sub-grids (rows and columns congruent modulo dilation) in 2x2 tiles.
std::vector<WinogradTile> winograd_tiles(int images, int height, int width, int dilation);

/// Whether this build and CPU run the transforms (x86-64 with AVX512-BF16; they convert with
/// its rounding instruction). Elsewhere nothing here may be called.
bool winograd_available();

/// The 16 transformed weights per (in, out) channel pair, U = G g G^T, from float weights
/// [out][in][3][3]: written as `u[p][in][out]` (p = 4 * row + column of the 4x4 transform).
std::vector<float> winograd_weights(const float* weights, int in_channels, int out_channels);

/// V for tiles [begin, end) of `tiles`, tile t into row t of each of the 16 matrices: input is
/// channels-last bf16 bits [images][height][width][channels]; v is bf16 bits
/// [16][rows][channels] (rows >= end). Inputs outside the image are zero (the convolution's
/// padding). channels % 16 == 0.
void winograd_input_transform(const uint16_t* input, int height, int width, int channels,
                              int dilation, const WinogradTile* tiles, int64_t rows, int64_t begin,
                              int64_t end, uint16_t* v);

/// Y = A^T M A + bias, then ReLU if `relu`, for tiles [begin, end), tile t from row t of each
/// of the 16 matrices of m (float [16][rows][channels], the products); output is channels-last
/// bf16 bits [images][height][width][channels], each value rounded once. bias may be null.
/// channels % 16 == 0.
void winograd_output_transform(const float* m, int height, int width, int channels, int dilation,
                               const WinogradTile* tiles, int64_t rows, int64_t begin, int64_t end,
                               const float* bias, bool relu, uint16_t* output);

}  // namespace fashionseg
