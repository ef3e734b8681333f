#include <httplib.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "admission.h"
#include "connection_gate.h"
#include "fashionseg/core/error.h"
#include "fashionseg/data/garment_colors.h"
#include "fashionseg/data/json_text.h"
#include "fashionseg/data/prediction_formats.h"
#include "fashionseg/serve/serve.h"
#include "http_error.h"
#include "page.h"
#include "segment_request.h"
#include "service_metrics.h"

namespace fashionseg {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double milliseconds(double seconds) { return std::round(seconds * 1e4) / 10.0; }

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  // Strings from the request (its path, parameters, file names) may hold bytes that are not
  // UTF-8: they are replaced (U+FFFD) rather than failing the answer.
  res.set_content(json_text(body), "application/json; charset=utf-8");
}

/// Answers without reading the request's body, so the connection cannot be reused.
void close_after(httplib::Response& res) {
  serve::ConnectionGate::close_after_this_request();
  res.set_header("Connection", "close");
}

bool has_body(const httplib::Request& req) {
  const std::string length = req.get_header_value("Content-Length");
  return req.has_header("Transfer-Encoding") || (!length.empty() && length != "0");
}

/// The methods each resource answers; anything else gets 405 with this Allow header.
const char* allowed_methods(const std::string& path) {
  if (path == "/v1/segment") return "POST";
  if (path == "/" || path == "/healthz" || path == "/v1/model" || path == "/metrics") {
    return "GET, HEAD";
  }
  return nullptr;
}

bool method_allowed(const std::string& allow, const std::string& method) {
  size_t start = 0;
  while (start < allow.size()) {
    const size_t comma = std::min(allow.find(", ", start), allow.size());
    if (allow.compare(start, comma - start, method) == 0) return true;
    start = comma + 2;
  }
  return false;
}

// A POST /v1/segment form has an image and maybe a few other fields; thousands of tiny parts
// would only cost memory.
constexpr int kMaxFormParts = 16;

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", message}});
}

/// The reason for a status the HTTP library sets itself (no handler ran).
std::string library_error(const httplib::Request& req, int status, size_t max_body) {
  // The library gives no method and path for a request line it did not parse.
  const std::string where = req.method.empty()
                                ? "\"" + serve::ConnectionGate::current_request_line() + "\": "
                                : req.method + " " + req.path + ": ";
  switch (status) {
    case 404:
      return where + "no such resource (try GET /, POST /v1/segment, GET /v1/model)";
    case 413:
      return where + "the body is larger than the limit of " + std::to_string(max_body) + " bytes";
    case 414:
      return where + "the request line is longer than the limit of " +
             std::to_string(CPPHTTPLIB_REQUEST_URI_MAX_LENGTH) + " bytes";
    case 400:
      return where + "malformed HTTP request";
    default:
      return where + "failed with HTTP status " + std::to_string(status);
  }
}

void validate(const ServeOptions& o) {
  if (o.port < 0 || o.port > 65535) throw_config_error("port must be in [0, 65535]");
  if (o.workers < 1 || o.workers > 256) throw_config_error("workers must be in [1, 256]");
  if (o.queue_capacity < 0) throw_config_error("queue capacity must be >= 0");
  if (!(o.queue_timeout_s > 0)) throw_config_error("queue timeout must be > 0 seconds");
  if (o.io_timeout_s < 1) throw_config_error("I/O timeout must be >= 1 second");
  if (o.http_threads < 2) throw_config_error("HTTP threads must be >= 2");
  if (o.max_body_bytes < 1024) throw_config_error("body limit must be >= 1024 bytes");
  if (o.max_pixels < 1) throw_config_error("pixel limit must be >= 1");
  if (o.max_header_bytes < 1024) throw_config_error("header limit must be >= 1024 bytes");
  if (!(o.header_timeout_s > 0)) throw_config_error("header timeout must be > 0 seconds");
  if (o.max_connections < 1) throw_config_error("connection limit must be >= 1");
  if (!(o.min_area >= 0.0 && o.min_area < 1.0)) throw_config_error("min area must be in [0, 1)");
}

/// The HTTP library's server with its connection handling replaced by a ConnectionGate: the
/// library accepts connections and answers requests, the gate decides when a connection
/// holds a thread.
class GatedHttpServer : public httplib::Server {
 public:
  explicit GatedHttpServer(const serve::GateLimits& limits) : limits_(limits) {
    // The library's accept loop hands each socket to its task queue; this one passes it to
    // the gate at once (which never blocks) and, at the end of the loop, drains the gate.
    new_task_queue = [this] {
      gate_ = std::make_unique<serve::ConnectionGate>(
          limits_, [this](httplib::Stream& stream, bool last) {
            bool closed = false;
            return process_request(stream, last, closed, nullptr) && !closed;
          });
      return new GateQueue(*gate_);
    };
    set_keep_alive_max_count(static_cast<size_t>(limits_.max_requests_per_connection));
    set_keep_alive_timeout(std::max<time_t>(1, limits_.header_timeout.count() / 1000));
  }

 private:
  class GateQueue : public httplib::TaskQueue {
   public:
    explicit GateQueue(serve::ConnectionGate& gate) : gate_(gate) {}
    void enqueue(std::function<void()> fn) override { fn(); }
    void shutdown() override { gate_.shutdown(); }

   private:
    serve::ConnectionGate& gate_;
  };

  bool process_and_close_socket(socket_t sock) override {
    gate_->admit(sock);
    return true;
  }

  serve::GateLimits limits_;
  std::unique_ptr<serve::ConnectionGate> gate_;
};

serve::GateLimits gate_limits(const ServeOptions& o) {
  serve::GateLimits limits;
  limits.max_header_bytes = o.max_header_bytes;
  limits.header_timeout =
      std::chrono::milliseconds(static_cast<int64_t>(std::ceil(o.header_timeout_s * 1000)));
  limits.max_connections = o.max_connections;
  limits.threads = o.http_threads;
  limits.io_timeout_s = o.io_timeout_s;
  return limits;
}

}  // namespace

struct SegmentationServer::Impl {
  ServedModel model;
  ServeOptions options;
  GatedHttpServer http;
  serve::ServiceMetrics metrics;
  serve::Admission admission;
  std::atomic<bool> bound{false};
  // run()/stop() hand-shake: the library's stop() does nothing before its loop has started,
  // so a stop that comes between bind() and the loop's start must not be lost.
  std::mutex state_mutex;
  bool stopping = false, running = false;
  std::atomic<bool> finished{false};

  Impl(ServedModel m, ServeOptions o)
      : model(std::move(m)),
        options(std::move(o)),
        http(gate_limits(options)),
        admission(options.workers, options.queue_capacity,
                  std::chrono::milliseconds(static_cast<int64_t>(options.queue_timeout_s * 1000))) {
  }

  /// The request's image bytes. The body is read here rather than by the library so that it is
  /// never parsed by its Content-Type (a raw JPEG sent as x-www-form-urlencoded, curl's
  /// default for --data-binary, must still be an image). The size limit applies to the bytes
  /// as they arrive here: after a Content-Encoding is undone and chunks are joined (the
  /// library checks only a declared Content-Length).
  std::string read_image(const httplib::Request& req, httplib::Response& res,
                         const httplib::ContentReader& content_reader) const {
    std::string body;
    serve::FormFields fields;
    size_t received = 0;
    int parts = 0;
    bool too_large = false;
    auto count = [&](size_t length) {
      received += length;
      too_large = received > options.max_body_bytes;
      return !too_large;
    };
    bool ok = false;
    if (req.is_multipart_form_data()) {
      std::string name, content;
      auto flush = [&] {
        if (!name.empty()) fields.emplace(std::move(name), std::move(content));
        name.clear();
        content.clear();
      };
      ok = content_reader(
          [&](const httplib::MultipartFormData& part) {
            flush();
            if (++parts > kMaxFormParts) {
              throw serve::HttpError(400, "POST /v1/segment: the form has more than " +
                                              std::to_string(kMaxFormParts) + " fields");
            }
            name = part.name;
            return count(part.name.size() + part.filename.size() + part.content_type.size());
          },
          [&](const char* data, size_t length) {
            if (!count(length)) return false;
            content.append(data, length);
            return true;
          });
      flush();
    } else {
      ok = content_reader([&](const char* data, size_t length) {
        if (!count(length)) return false;
        body.append(data, length);
        return true;
      });
    }
    if (!ok) {
      // The library sets 413 when a declared Content-Length passes the limit.
      if (too_large || res.status == 413) {
        throw serve::HttpError(413, library_error(req, 413, options.max_body_bytes));
      }
      throw serve::HttpError(400,
                             "POST /v1/segment: the body could not be read (truncated "
                             "upload, malformed multipart/form-data or compressed data)");
    }
    serve::request_image(req.is_multipart_form_data(), fields, body);  // throws 400 when absent
    // Hand the bytes over rather than copying them (bodies reach --max-body-mb).
    if (req.is_multipart_form_data()) return std::move(fields.find("image")->second);
    return body;
  }

  void segment(const httplib::Request& req, httplib::Response& res,
               const httplib::ContentReader& content_reader) {
    const auto start = Clock::now();
    const serve::SegmentQuery query = serve::parse_segment_query(req.params, options);
    const std::string bytes = read_image(req, res, content_reader);

    serve::Admission::Outcome outcome;
    const serve::Admission::Ticket ticket = admission.acquire(outcome);
    if (!ticket.admitted()) {
      res.set_header("Retry-After", "1");
      throw serve::HttpError(
          503, outcome == serve::Admission::Outcome::kQueueFull
                   ? "POST /v1/segment: busy, " + std::to_string(options.queue_capacity) +
                         " requests are already waiting; retry later"
                   : "POST /v1/segment: no worker became free within " +
                         std::to_string(options.queue_timeout_s) + " s; retry later");
    }
    const cv::Mat rgb = serve::decode_request_image(bytes, options.max_pixels);
    const double decode_s = seconds_since(start);
    const auto inference_start = Clock::now();
    AreaRule rule;
    rule.min_area_fraction = query.min_area;
    rule.overrides_calibration = query.min_area_given;
    const Segmentation result = model.segment(rgb, query.flip, rule);
    const double inference_s = seconds_since(inference_start);

    std::vector<FoundCategory> categories = result.categories;
    const auto colors_start = Clock::now();
    if (query.colors) add_garment_colors(rgb, result.labels, categories);
    const double colors_s = seconds_since(colors_start);
    const cv::Mat labels = serve::keep_only(result.labels, categories);
    nlohmann::json answer = {{"width", rgb.cols},
                             {"height", rgb.rows},
                             {"architecture", model.architecture},
                             {"categories", categories_json(categories)}};
    if (query.mask != serve::MaskFormat::kNone) {
      answer["mask"] = serve::mask_json(labels, query.mask, categories);
    }
    const double total_s = seconds_since(start);
    answer["timing_ms"] = {{"decode", milliseconds(decode_s)},
                           {"inference", milliseconds(inference_s)},
                           {"total", milliseconds(total_s)}};
    if (query.colors) answer["timing_ms"]["colors"] = milliseconds(colors_s);
    metrics.observe_segment(total_s, inference_s);
    send_json(res, 200, answer);
  }

  void route() {
    http.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_header("Cache-Control", "no-cache");
      res.set_content(std::string(serve::try_it_page()), "text/html; charset=utf-8");
    });
    http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, {{"status", "ok"}});
    });
    http.Get("/v1/model", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, serve::model_json(model));
    });
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics.prometheus_text(admission.running(), admission.waiting()),
                      "text/plain; version=0.0.4; charset=utf-8");
    });
    http.Post("/v1/segment", [this](const httplib::Request& req, httplib::Response& res,
                                    const httplib::ContentReader& content_reader) {
      segment(req, res, content_reader);
    });
    // Methods are checked before the library reads a body: only POST /v1/segment reads one
    // (within its limit), every other request that carries one is answered and closed.
    http.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      const bool body = has_body(req);
      const char* allow = allowed_methods(req.path);
      const bool allowed = allow != nullptr && method_allowed(allow, req.method);
      if (allowed && req.method == "POST") return httplib::Server::HandlerResponse::Unhandled;
      if (body) close_after(res);
      if (allowed) return httplib::Server::HandlerResponse::Unhandled;
      if (allow == nullptr) {
        send_error(res, 404, library_error(req, 404, 0));
      } else if (req.method == "OPTIONS") {
        res.status = 204;
        res.set_header("Allow", allow);
      } else {
        send_error(res, 405,
                   req.method + " " + req.path + ": method not allowed, use " +
                       std::string(allow).substr(0, std::string(allow).find(',')));
        res.set_header("Allow", allow);
      }
      return httplib::Server::HandlerResponse::Handled;
    });
    http.set_exception_handler(
        [](const httplib::Request& req, httplib::Response& res, std::exception_ptr error) {
          // The request's body may be partly unread.
          close_after(res);
          try {
            std::rethrow_exception(error);
          } catch (const serve::HttpError& e) {
            send_error(res, e.status(), e.what());
          } catch (const std::exception& e) {
            spdlog::error("{} {}: {}", req.method, req.path, e.what());
            send_error(res, 500, req.method + " " + req.path + ": " + e.what());
          } catch (...) {
            send_error(res, 500, req.method + " " + req.path + ": unknown failure");
          }
        });
    http.set_error_handler(httplib::Server::HandlerWithResponse(
        [this](const httplib::Request& req, httplib::Response& res) {
          // Handlers write their own JSON errors; only the library's bare statuses get one here.
          if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
          close_after(res);  // the library could not read the request: do not read on
          send_error(res, res.status, library_error(req, res.status, options.max_body_bytes));
          return httplib::Server::HandlerResponse::Handled;
        }));
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      metrics.count_request(req.method, req.path, res.status);
      spdlog::debug("{} {} -> {}", req.method, req.path, res.status);
    });
    // The library's default also sets SO_REUSEPORT, which lets a second server bind the same
    // port and silently take half the traffic; SO_REUSEADDR alone allows quick restarts.
    http.set_socket_options([](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof(yes));
    });
    http.set_payload_max_length(options.max_body_bytes);
    // Read and write timeouts, threads and keep-alive are the gate's (see gate_limits).
  }
};

SegmentationServer::SegmentationServer(ServedModel model, ServeOptions options) {
  validate(options);
  if (!model.segment) throw_config_error("the served model has no segment function");
  impl_ = std::make_unique<Impl>(std::move(model), std::move(options));
  impl_->route();
}

SegmentationServer::~SegmentationServer() { stop(); }

int SegmentationServer::bind() {
  int port = impl_->options.port;
  if (port == 0) {
    port = impl_->http.bind_to_any_port(impl_->options.host);
  } else if (!impl_->http.bind_to_port(impl_->options.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    throw_io_error("cannot listen on " + impl_->options.host + ":" +
                       std::to_string(impl_->options.port) +
                       " (port in use, or not an address of this machine)",
                   impl_->options.host);
  }
  impl_->bound = true;
  return port;
}

void SegmentationServer::run() {
  if (!impl_->bound) throw_config_error("bind() must be called before run()");
  {
    std::lock_guard lock(impl_->state_mutex);
    if (impl_->stopping) return;
    impl_->running = true;
  }
  impl_->http.listen_after_bind();
  impl_->finished = true;
}

void SegmentationServer::stop() {
  if (!impl_) return;
  bool running = false;
  {
    std::lock_guard lock(impl_->state_mutex);
    impl_->stopping = true;
    running = impl_->running;
  }
  if (!running) return;
  while (!impl_->http.is_running() && !impl_->finished) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  impl_->http.stop();
}

int64_t SegmentationServer::requests_answered() const { return impl_->metrics.requests(); }

}  // namespace fashionseg
