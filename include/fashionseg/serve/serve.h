#pragma once
/// The HTTP segmentation service behind `fashionseg serve`: POST /v1/segment, GET /v1/model,
/// GET /healthz, GET /metrics (Prometheus text) and GET / (a page to try your own photos).
/// It knows the model only through ServedModel, so it is tested with any segmentation
/// function and links without torch.

#include <opencv2/core.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fashionseg/data/found_categories.h"
#include "fashionseg/data/segmentation.h"

namespace fashionseg {

/// Limits and defaults of the service.
struct ServeOptions {
  std::string host = "127.0.0.1";            ///< address to bind; 0.0.0.0 exposes it to the network
  int port = 8080;                           ///< 0 = any free port (see SegmentationServer::bind)
  size_t max_body_bytes = size_t{20} << 20;  ///< larger request bodies get 413
  int64_t max_pixels = 50'000'000;           ///< larger images get 400 before decoding
  int workers = 1;                ///< segmentations at the same time (each uses the torch threads)
  int queue_capacity = 8;         ///< requests waiting for a worker; more get 503 + Retry-After
  double queue_timeout_s = 30.0;  ///< a request that waits longer for a worker gets 503
  int io_timeout_s = 10;          ///< socket read/write timeout per request
  int http_threads = 16;          ///< requests handled at once, from receipt of their headers
  size_t max_header_bytes = 32 * 1024;  ///< larger request line + headers get 431
  double header_timeout_s = 5.0;  ///< a request's headers (or an idle connection's next request)
                                  ///< must arrive within this; waiting costs no thread
  int max_connections = 512;      ///< open connections; more get 503 at once
  bool flip = false;              ///< default for ?flip
  double min_area = 0.001;        ///< default for ?min_area (share of the photo)
  /// serve --min-area was given: it replaces a calibrated model's area thresholds.
  bool min_area_given = false;
};

/// What the service needs of a model; make_served_model() (torch/served_model.h) builds it
/// from a Segmenter.
struct ServedModel {
  std::string architecture;
  std::vector<std::string> class_names;  ///< index = label value, 0 = background
  cv::Size input_size;                   ///< the model's box; 0 x 0 = any size
  int64_t parameters = 0;
  bool category_head = false;          ///< the model has an image-level category head
  bool bf16 = false;                   ///< it runs in bf16 autocast
  bool calibrated_categories = false;  ///< its category rule was calibrated
  /// Segments an RGB photo with a request's flip and area rule, the categories decided under
  /// that rule; called from several threads at once when workers > 1.
  std::function<Segmentation(const cv::Mat& rgb, bool flip, const AreaRule& rule)> segment;
};

/// An HTTP server answering the contract above. Typical use: bind(), print the port, run()
/// on this thread, stop() from a signal-handling thread.
class SegmentationServer {
 public:
  /// Validates the options; throws Error(kConfig) naming the bad one.
  SegmentationServer(ServedModel model, ServeOptions options);
  ~SegmentationServer();
  SegmentationServer(const SegmentationServer&) = delete;
  SegmentationServer& operator=(const SegmentationServer&) = delete;

  /// Binds host:port and returns the port (the chosen one when port is 0). Throws
  /// Error(kIo) when the address cannot be bound (in use, not an address of this machine).
  int bind();
  /// Serves until stop(); requests in progress finish first. Requires bind().
  void run();
  /// Stops accepting connections and makes run() return once in-flight requests are done.
  /// Safe from any thread, also before run() starts.
  void stop();
  /// Requests answered so far (all endpoints, any status).
  int64_t requests_answered() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fashionseg
