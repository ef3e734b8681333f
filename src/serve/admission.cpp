#include "admission.h"

namespace fashionseg::serve {

Admission::Admission(int workers, int capacity, std::chrono::milliseconds timeout)
    : workers_(workers), capacity_(capacity), timeout_(timeout) {}

Admission::Ticket Admission::acquire(Outcome& outcome) {
  std::unique_lock lock(mutex_);
  if (running_ < workers_ && waiting_ == 0) {
    ++running_;
    outcome = Outcome::kAdmitted;
    return Ticket(this);
  }
  if (waiting_ >= capacity_) {
    outcome = Outcome::kQueueFull;
    return Ticket();
  }
  ++waiting_;
  const bool freed = freed_.wait_for(lock, timeout_, [&] { return running_ < workers_; });
  --waiting_;
  if (!freed) {
    outcome = Outcome::kTimedOut;
    return Ticket();
  }
  ++running_;
  outcome = Outcome::kAdmitted;
  return Ticket(this);
}

void Admission::release() {
  {
    std::lock_guard lock(mutex_);
    --running_;
  }
  freed_.notify_one();
}

int Admission::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

int Admission::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

}  // namespace fashionseg::serve
