#pragma once
// bf16 autocast on the CPU for the calling thread while a guard lives: what
// `with torch.autocast("cpu", dtype=torch.bfloat16)` does in Python. Convolutions and matrix
// products run in bfloat16; operations the autocast lists keep in fp32 (softmax, losses,
// reductions) stay fp32. Autocast state is thread-local, so concurrent callers do not meet.

#include <ATen/autocast_mode.h>

namespace fashionseg {

class CpuBf16Autocast {
 public:
  /// `enabled` false: the guard does nothing (so callers need no branch).
  explicit CpuBf16Autocast(bool enabled) : enabled_(enabled) {
    if (!enabled_) return;
    previous_enabled_ = at::autocast::is_cpu_enabled();
    previous_dtype_ = at::autocast::get_autocast_cpu_dtype();
    at::autocast::set_cpu_enabled(true);
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::increment_nesting();
  }
  ~CpuBf16Autocast() {
    if (!enabled_) return;
    // Weights cast to bf16 are cached while autocast is on; the outermost guard drops them.
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_cpu_enabled(previous_enabled_);
    at::autocast::set_autocast_cpu_dtype(previous_dtype_);
  }
  CpuBf16Autocast(const CpuBf16Autocast&) = delete;
  CpuBf16Autocast& operator=(const CpuBf16Autocast&) = delete;

 private:
  bool enabled_;
  bool previous_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kBFloat16;
};

}  // namespace fashionseg
