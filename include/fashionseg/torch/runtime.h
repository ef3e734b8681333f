#pragma once
/// Process-wide runtime settings: thread counts and allocator tuning. Call once at start-up.

namespace fashionseg {

/// How glibc malloc keeps freed memory.
enum class MemoryUse {
  /// Batch jobs (train, predict, evaluate, bench): large tensor buffers stay in the heap and
  /// freed memory is not returned to the system, so each step reuses warm pages (measured
  /// 13-22% faster training on CPU). Memory stays at the job's peak until it ends.
  kThroughput,
  /// Long-running services (serve): as kThroughput, but with at most two malloc arenas:
  /// each thread that allocates concurrently (16 HTTP threads) would otherwise get its own,
  /// which keeps its peak, so resident memory ratcheted up to the sum of their peaks
  /// (bench/RESULTS.md, `fashionseg serve` under load).
  kBounded,
};

/// Sets LibTorch's intra-op threads, OpenCV's threads to `threads` (0 = all cores) and tunes
/// glibc malloc for `use`. LibTorch alone would use one thread on machines it counts as one
/// physical core. Returns the thread count in effect.
int configure_runtime(int threads, MemoryUse use = MemoryUse::kThroughput);

}  // namespace fashionseg
