#pragma once
// FASHIONSEG_VECTOR_CLONES before a function compiles it three times on x86-64 with GCC (for
// AVX-512, AVX2 and the baseline) and picks the clone at load time, so that a hot loop uses
// the widest vectors the CPU has while the binary still runs on any x86-64. Elsewhere it is
// empty. For the few torch-free kernels that LibTorch has no fast equivalent of.

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FASHIONSEG_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FASHIONSEG_VECTOR_CLONES
#endif
