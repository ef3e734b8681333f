#include "service_metrics.h"

#include <fmt/format.h>

namespace fashionseg::serve {
namespace {

std::string endpoint_label(const std::string& method, const std::string& path) {
  static const char* known[] = {"/", "/v1/segment", "/v1/model", "/healthz", "/metrics"};
  for (const char* p : known) {
    if (path == p) return method + " " + path;
  }
  return "other";
}

}  // namespace

void ServiceMetrics::Histogram::observe(double seconds) {
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++buckets[i];
  }
  ++count;
  sum += seconds;
}

void ServiceMetrics::Histogram::write(std::string& out, const std::string& name) const {
  out += "# TYPE " + name + " histogram\n";
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, kBuckets[i], buckets[i]);
  }
  out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n", name, count);
  out += fmt::format("{}_sum {}\n{}_count {}\n", name, sum, name, count);
}

void ServiceMetrics::count_request(const std::string& method, const std::string& path, int status) {
  std::lock_guard lock(mutex_);
  ++requests_[{endpoint_label(method, path), status}];
  ++total_;
}

void ServiceMetrics::observe_segment(double total_seconds, double inference_seconds) {
  std::lock_guard lock(mutex_);
  segment_seconds_.observe(total_seconds);
  inference_seconds_.observe(inference_seconds);
}

int64_t ServiceMetrics::requests() const {
  std::lock_guard lock(mutex_);
  return total_;
}

std::string ServiceMetrics::prometheus_text(int running, int waiting) const {
  std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP fashionseg_requests_total HTTP requests answered, by endpoint and status.\n";
  out += "# TYPE fashionseg_requests_total counter\n";
  int64_t errors = 0, refused = 0;
  for (const auto& [key, count] : requests_) {
    out += fmt::format("fashionseg_requests_total{{endpoint=\"{}\",code=\"{}\"}} {}\n", key.first,
                       key.second, count);
    if (key.second >= 400) errors += count;
    if (key.second == 503 || key.second == 429) refused += count;
  }
  out += "# HELP fashionseg_errors_total Requests answered with a 4xx or 5xx status.\n";
  out +=
      fmt::format("# TYPE fashionseg_errors_total counter\nfashionseg_errors_total {}\n", errors);
  out += "# HELP fashionseg_refused_total Requests refused because the work queue was full.\n";
  out += fmt::format("# TYPE fashionseg_refused_total counter\nfashionseg_refused_total {}\n",
                     refused);
  out +=
      "# HELP fashionseg_segment_seconds Time of successful POST /v1/segment requests "
      "(waiting for a worker, decoding, the model, encoding the answer).\n";
  segment_seconds_.write(out, "fashionseg_segment_seconds");
  out += "# HELP fashionseg_inference_seconds Time in the model per successful segmentation.\n";
  inference_seconds_.write(out, "fashionseg_inference_seconds");
  out += "# HELP fashionseg_in_flight Segmentations running now.\n";
  out += fmt::format("# TYPE fashionseg_in_flight gauge\nfashionseg_in_flight {}\n", running);
  out += "# HELP fashionseg_queued Segmentation requests waiting for a worker.\n";
  out += fmt::format("# TYPE fashionseg_queued gauge\nfashionseg_queued {}\n", waiting);
  return out;
}

}  // namespace fashionseg::serve
