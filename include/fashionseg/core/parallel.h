#pragma once
/// Parallel loops over an index range on plain std::threads, and the thread-count setting.

#include <cstddef>
#include <functional>

namespace fashionseg {

/// The number of worker threads to use when the user asked for `requested` (0 = all cores).
/// Always >= 1.
int resolve_thread_count(int requested);

/// Runs body(i) for every i in [0, count) on `threads` threads (0 = all cores), handing out
/// indices dynamically so uneven items balance. Stops handing out new indices after the first
/// exception and rethrows it on the calling thread once all workers have stopped.
void parallel_for(size_t count, int threads, const std::function<void(size_t)>& body);

}  // namespace fashionseg
