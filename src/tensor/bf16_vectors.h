#pragma once
// 16 bfloat16 values (as their bits) to and from an AVX-512 float vector, for the kernels that
// run only on CPUs with AVX512-BF16 (add_relu_kernel, winograd_kernel). Defines
// FASHIONSEG_HAVE_BF16_VECTORS where the compiler can build them (x86-64 GCC); callers still
// check the CPU (__builtin_cpu_supports("avx512bf16")) before calling.

#include <cstdint>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#define FASHIONSEG_HAVE_BF16_VECTORS 1

namespace fashionseg {

/// 16 bf16 values widened to floats (exact).
__attribute__((target("avx512f"))) inline __m512 load_bf16x16(const uint16_t* bits) {
  const __m256i narrow = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bits));
  // The all-lanes masked forms: the unmasked ones start from an undefined register, which
  // GCC 12 reports as maybe-uninitialized.
  constexpr __mmask16 kAll = 0xFFFF;
  const __m512i wide = _mm512_maskz_cvtepu16_epi32(kAll, narrow);
  return _mm512_castsi512_ps(_mm512_maskz_slli_epi32(kAll, wide, 16));
}

/// 16 floats stored as bf16 with vcvtneps2bf16: rounded to nearest even, NaN to a quiet NaN
/// (as float_to_bf16_bits in bf16_bits.h).
__attribute__((target("avx512f,avx512bf16"))) inline void store_bf16x16(uint16_t* bits,
                                                                        __m512 values) {
  const __m256bh rounded = _mm512_cvtneps_pbh(values);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(bits), reinterpret_cast<const __m256i&>(rounded));
}

}  // namespace fashionseg
#endif
