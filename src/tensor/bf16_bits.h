#pragma once
// bfloat16 values as their 16 bits, for torch-free kernels: the upper half of a float.

#include <cstdint>
#include <cstring>

namespace fashionseg {

/// The float a bfloat16's bits stand for (exact).
inline float bf16_bits_to_float(uint16_t bits) {
  const uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, sizeof value);
  return value;
}

/// A float's bfloat16 bits, rounded to nearest with ties to even, as LibTorch converts (NaN
/// stays a quiet NaN; the rounding carry would otherwise turn a NaN into another value).
inline uint16_t float_to_bf16_bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  const uint32_t rounded = (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;
  return value != value ? uint16_t{0x7FC0} : static_cast<uint16_t>(rounded);
}

}  // namespace fashionseg
