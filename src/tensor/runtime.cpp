#include "fashionseg/torch/runtime.h"

#include <malloc.h>
#include <torch/torch.h>

#include <opencv2/core.hpp>

#include "fashionseg/core/parallel.h"

namespace fashionseg {

int configure_runtime(int threads, MemoryUse use) {
  const int count = resolve_thread_count(threads);
  torch::set_num_threads(count);
  cv::setNumThreads(count);
  if (use == MemoryUse::kBounded) {
    // glibc gives each thread that allocates concurrently its own arena (up to 8 per core),
    // and an arena keeps its peak: 16 HTTP threads decoding photos and encoding answers held
    // ~1 GB after 200 requests. Two arenas hold ~400 MB at the same throughput; returning
    // memory to the system as well (trim / mmap thresholds of 32 MB) cost 20% of the
    // throughput for 100 MB less (bench/RESULTS.md).
    mallopt(M_ARENA_MAX, 2);
  }
  // Keep large tensor buffers in the heap instead of mmap/munmap on every allocation, and
  // stop returning freed memory to the OS after every step.
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  // Feature maps of 32 MB and more (a 512 x 512 U-Net has 64 MB ones) would still be mapped
  // and unmapped per allocation, each time paying page faults to zero fresh pages: no mmap at
  // all for chunks (threads' arenas still map what cannot fit their heaps). Measured with one
  // core busy, so roughly: ~6% faster DeepLabV3-ResNet50 inference at 512 x 512 (RESULTS.md).
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 256 * 1024 * 1024);
  return count;
}

}  // namespace fashionseg
