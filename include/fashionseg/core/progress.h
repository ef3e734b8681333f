#pragma once
/// Progress reporting without printing: library code reports to a Progress sink; the CLI
/// decides how to show it (a bar with ETA on a terminal, log lines otherwise).

#include <cstddef>
#include <string>

namespace fashionseg {

/// Receives progress of a long job. Implementations must be thread-safe: workers call
/// advance() concurrently.
class Progress {
 public:
  virtual ~Progress() = default;
  /// A new phase starts with `total` units of work (0 = unknown).
  virtual void start(const std::string& label, size_t total) = 0;
  /// `units` more units are done; `status` is an optional short text (e.g. "loss 0.31").
  virtual void advance(size_t units = 1, const std::string& status = {}) = 0;
  /// The phase is over.
  virtual void finish() = 0;
};

/// A sink that ignores everything (the default for library callers).
class NullProgress final : public Progress {
 public:
  void start(const std::string&, size_t) override {}
  void advance(size_t, const std::string&) override {}
  void finish() override {}
};

}  // namespace fashionseg
