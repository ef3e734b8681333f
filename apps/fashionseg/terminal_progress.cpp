#include "terminal_progress.h"

#include <unistd.h>

#include <cstdio>

namespace fashionseg::cli {
namespace {

std::string format_duration(double seconds) {
  if (seconds < 0 || seconds > 360000) return "--:--";
  const long s = long(seconds + 0.5);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof(text), "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(text, sizeof(text), "%02ld:%02ld", s / 60, s % 60);
  }
  return text;
}

}  // namespace

TerminalProgress::TerminalProgress(int interactive)
    : tty_(interactive < 0 ? ::isatty(STDERR_FILENO) != 0 : interactive == 1) {}

void TerminalProgress::start(const std::string& label, size_t total) {
  std::lock_guard<std::mutex> lock(mutex_);
  label_ = label;
  status_.clear();
  total_ = total;
  done_ = 0;
  next_log_percent_ = 10;
  rate_started_ = false;
  started_ = last_draw_ = std::chrono::steady_clock::now();
  if (!tty_) std::fprintf(stderr, "%s: started (%zu)\n", label_.c_str(), total_);
}

void TerminalProgress::advance(size_t units, const std::string& status) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ += units;
  if (!status.empty()) status_ = status;
  const auto now = std::chrono::steady_clock::now();
  if (!rate_started_) {
    rate_started_ = true;
    rate_base_ = done_;
    rate_since_ = now;
  }
  if (tty_) {
    if (now - last_draw_ > std::chrono::milliseconds(100) || done_ == total_) {
      last_draw_ = now;
      draw(false);
    }
  } else if (total_ > 0 && done_ * 100 >= next_log_percent_ * total_) {
    while (done_ * 100 >= next_log_percent_ * total_ && next_log_percent_ <= 100)
      next_log_percent_ += 10;
    draw(false);
  }
}

void TerminalProgress::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  draw(true);
}

void TerminalProgress::draw(bool final_line) {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - started_).count();
  // Units since the first advance over the time since it; until a second advance, the
  // first one over the time since start (a fresh phase's first unit).
  double rate = 0.0;
  const double measured =
      rate_started_ ? std::chrono::duration<double>(now - rate_since_).count() : 0.0;
  if (rate_started_ && done_ > rate_base_ && measured > 0) {
    rate = double(done_ - rate_base_) / measured;
  } else if (elapsed > 0 && (final_line || done_ <= 1)) {
    rate = double(done_) / elapsed;
  }
  double eta = -1.0;  // unknown: printed as --:--
  if (total_ > 0 && done_ >= total_) {
    eta = 0.0;
  } else if (rate > 0 && total_ > done_) {
    eta = double(total_ - done_) / rate;
  }
  char counts[96];
  if (total_ > 0) {
    std::snprintf(counts, sizeof(counts), "%zu/%zu %3.0f%%", done_, total_,
                  100.0 * double(done_) / double(total_));
  } else {
    std::snprintf(counts, sizeof(counts), "%zu", done_);
  }
  char timing[96];
  std::snprintf(timing, sizeof(timing), "%.1f/s %s %s", rate, final_line ? "took" : "ETA",
                format_duration(final_line ? elapsed : eta).c_str());
  if (tty_) {
    std::string bar;
    if (total_ > 0) {
      const int width = 30;
      const int filled = int(width * double(done_) / double(total_));
      bar =
          "[" + std::string(size_t(filled), '#') + std::string(size_t(width - filled), '.') + "] ";
    }
    std::fprintf(stderr, "\r\033[K%s %s%s %s%s%s", label_.c_str(), bar.c_str(), counts, timing,
                 status_.empty() ? "" : "  ", status_.c_str());
    if (final_line) std::fprintf(stderr, "\n");
  } else {
    std::fprintf(stderr, "%s: %s %s%s%s\n", label_.c_str(), counts, timing,
                 status_.empty() ? "" : "  ", status_.c_str());
  }
  std::fflush(stderr);
}

}  // namespace fashionseg::cli
