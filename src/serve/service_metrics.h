#pragma once
/// The service's counters in the Prometheus text format (GET /metrics): requests by endpoint
/// and status, a latency histogram of segmentations, errors, refusals and the queue's state.

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace fashionseg::serve {

class ServiceMetrics {
 public:
  /// Counts one answered request. Paths other than the service's own count as "other", so a
  /// scanner cannot grow the label set.
  void count_request(const std::string& method, const std::string& path, int status);
  /// Records the time of one successful segmentation request (queueing included) and of
  /// its model call.
  void observe_segment(double total_seconds, double inference_seconds);
  /// Requests answered so far.
  int64_t requests() const;
  /// The text served at /metrics; `running` and `waiting` are the admission's current state.
  std::string prometheus_text(int running, int waiting) const;

  /// Upper bounds (seconds) of the latency histogram's buckets.
  static constexpr std::array<double, 12> kBuckets = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                      1.0,  2.5,   5.0,  10,  30,   60};

 private:
  struct Histogram {
    std::array<int64_t, kBuckets.size()> buckets{};
    int64_t count = 0;
    double sum = 0.0;
    void observe(double seconds);
    void write(std::string& out, const std::string& name) const;
  };

  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, int64_t> requests_;  // (endpoint, status) -> count
  Histogram segment_seconds_;
  Histogram inference_seconds_;
  int64_t total_ = 0;
};

}  // namespace fashionseg::serve
