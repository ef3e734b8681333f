// Two versions, picked once per process: with AVX512-BF16 (this project's reference CPU has
// it) the float-to-bf16 rounding is one instruction; elsewhere the rounding in integer
// arithmetic, cloned for AVX-512 and AVX2 (vector_clones.h). The integer version costs about
// five instructions per value and ran at a third of LibTorch's add_ speed; the native one runs
// at memory speed.
#include "models/add_relu_kernel.h"

#include "tensor/bf16_bits.h"
#include "tensor/bf16_vectors.h"
#include "tensor/vector_clones.h"

namespace fashionseg {
namespace {

FASHIONSEG_VECTOR_CLONES
void add_relu_portable(uint16_t* __restrict accumulator, const uint16_t* __restrict addend,
                       int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    const float sum = bf16_bits_to_float(accumulator[i]) + bf16_bits_to_float(addend[i]);
    // Rounding is monotonic and keeps the sign, so ReLU after rounding equals ReLU before;
    // `sum < 0` is false for NaN, which passes through.
    accumulator[i] = float_to_bf16_bits(sum < 0.0f ? 0.0f : sum);
  }
}

#ifdef FASHIONSEG_HAVE_BF16_VECTORS
__attribute__((target("avx512f,avx512bf16"))) void add_relu_native(
    uint16_t* __restrict accumulator, const uint16_t* __restrict addend, int64_t count) {
  const __m512 zero = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    const __m512 sum = _mm512_add_ps(load_bf16x16(accumulator + i), load_bf16x16(addend + i));
    // Zero where sum < 0 (ordered: NaN stays), then vcvtneps2bf16: round to nearest even,
    // NaN to a quiet NaN, as float_to_bf16_bits.
    const __m512 relu = _mm512_mask_mov_ps(sum, _mm512_cmp_ps_mask(sum, zero, _CMP_LT_OQ), zero);
    store_bf16x16(accumulator + i, relu);
  }
  add_relu_portable(accumulator + i, addend + i, count - i);
}
#endif

using AddRelu = void (*)(uint16_t*, const uint16_t*, int64_t);

AddRelu pick_add_relu() {
#ifdef FASHIONSEG_HAVE_BF16_VECTORS
  if (__builtin_cpu_supports("avx512bf16")) return add_relu_native;
#endif
  return add_relu_portable;
}

}  // namespace

void add_relu_bf16(uint16_t* accumulator, const uint16_t* addend, int64_t count) {
  static const AddRelu implementation = pick_add_relu();
  implementation(accumulator, addend, count);
}

}  // namespace fashionseg
