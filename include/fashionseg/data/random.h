#pragma once
/// Portable random draws from a std::mt19937_64. The standard distributions
/// (uniform_int_distribution, shuffle, discrete_distribution) are implementation-defined, so
/// the same seed would give other augmentations and orders with another standard library;
/// these helpers give the same numbers everywhere.

#include <cstdint>
#include <random>

namespace fashionseg {

/// A uniform double in [0, 1) from the top 53 bits of one draw.
inline double uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
}

/// A uniform double in [low, high) (low when low == high).
inline double uniform_real(std::mt19937_64& rng, double low, double high) {
  return low + (high - low) * uniform01(rng);
}

/// A uniform integer in [low, high] (both inclusive; requires low <= high), unbiased
/// (rejection sampling).
inline int64_t uniform_int(std::mt19937_64& rng, int64_t low, int64_t high) {
  const uint64_t range = static_cast<uint64_t>(high - low) + 1;  // 0 means all 2^64 values
  if (range == 0) return static_cast<int64_t>(rng());
  const uint64_t limit = UINT64_MAX - UINT64_MAX % range;  // largest multiple of range
  uint64_t draw = rng();
  while (draw >= limit) draw = rng();
  return low + static_cast<int64_t>(draw % range);
}

/// True with probability p.
inline bool bernoulli(std::mt19937_64& rng, double p) { return uniform01(rng) < p; }

/// SplitMix64 finaliser: spreads the bits of x; used to derive independent seeds.
inline uint64_t mix_bits(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// A seed derived from (seed, a, b): different tuples give unrelated streams, the same tuple
/// always the same stream.
inline uint64_t derive_seed(uint64_t seed, uint64_t a, uint64_t b = 0) {
  return mix_bits(mix_bits(mix_bits(seed) ^ a) ^ b);
}

}  // namespace fashionseg
