#pragma once
/// Bounded admission to the model: at most `workers` segmentations run at once and at most
/// `capacity` requests wait for one, each for at most `timeout`. Beyond that a request is
/// refused at once, so a burst costs a 503 rather than unbounded memory and latency.

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace fashionseg::serve {

class Admission {
 public:
  enum class Outcome { kAdmitted, kQueueFull, kTimedOut };

  /// A slot held while a request runs; releases it when destroyed.
  class Ticket {
   public:
    Ticket() = default;
    explicit Ticket(Admission* owner) : owner_(owner) {}
    Ticket(Ticket&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket() {
      if (owner_) owner_->release();
    }
    bool admitted() const { return owner_ != nullptr; }

   private:
    Admission* owner_ = nullptr;
  };

  /// workers >= 1, capacity >= 0.
  Admission(int workers, int capacity, std::chrono::milliseconds timeout);

  /// Takes a slot, waiting in line when all are busy; `outcome` says why it failed.
  Ticket acquire(Outcome& outcome);
  /// Requests running and waiting right now.
  int running() const;
  int waiting() const;

 private:
  void release();

  const int workers_;
  const int capacity_;
  const std::chrono::milliseconds timeout_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  int running_ = 0;
  int waiting_ = 0;
};

}  // namespace fashionseg::serve
