#pragma once
/// Progress shown on a terminal: a bar with rate and ETA redrawn in place on a TTY, plain log
/// lines every ~10% otherwise (CI logs, pipes). Thread-safe; shared by every subcommand.

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

#include "fashionseg/core/progress.h"

namespace fashionseg::cli {

/// Writes progress to stderr.
class TerminalProgress final : public Progress {
 public:
  /// `interactive` < 0: decide by isatty(stderr); 0: log lines; 1: bar.
  explicit TerminalProgress(int interactive = -1);
  void start(const std::string& label, size_t total) override;
  void advance(size_t units = 1, const std::string& status = {}) override;
  void finish() override;

 private:
  void draw(bool final_line);
  std::mutex mutex_;
  bool tty_ = false;
  std::string label_, status_;
  size_t total_ = 0, done_ = 0, next_log_percent_ = 10;
  std::chrono::steady_clock::time_point started_, last_draw_;
  // The rate counts from the first advance on: a resumed run's first advance skips the
  // units done before the interruption, which took no time in this process.
  bool rate_started_ = false;
  size_t rate_base_ = 0;
  std::chrono::steady_clock::time_point rate_since_;
};

}  // namespace fashionseg::cli
