#include <httplib.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "admission.h"
#include "fashionseg/error.h"
#include "fashionseg/garment_colors.h"
#include "fashionseg/prediction_formats.h"
#include "fashionseg/serve.h"
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
  res.set_content(body.dump(), "application/json; charset=utf-8");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", message}});
}

/// The reason for a status the HTTP library sets itself (no handler ran).
std::string library_error(const httplib::Request& req, int status, size_t max_body) {
  const std::string where = req.method + " " + req.path + ": ";
  switch (status) {
    case 404:
      return where + "no such resource (try GET /, POST /v1/segment, GET /v1/model)";
    case 413:
      return where + "the body is larger than the limit of " + std::to_string(max_body) + " bytes";
    case 414:
      return where + "the request line is too long";
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
  if (!(o.min_area >= 0.0 && o.min_area < 1.0)) throw_config_error("min area must be in [0, 1)");
}

}  // namespace

struct SegmentationServer::Impl {
  ServedModel model;
  ServeOptions options;
  httplib::Server http;
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
        admission(options.workers, options.queue_capacity,
                  std::chrono::milliseconds(static_cast<int64_t>(options.queue_timeout_s * 1000))) {
  }

  /// The request's image bytes. The body is read here rather than by the library so that it is
  /// never parsed by its Content-Type (a raw JPEG sent as x-www-form-urlencoded, curl's
  /// default for --data-binary, must still be an image); the size limit still applies.
  std::string read_image(const httplib::Request& req, httplib::Response& res,
                         const httplib::ContentReader& content_reader) const {
    std::string body;
    serve::FormFields fields;
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
            name = part.name;
            return true;
          },
          [&](const char* data, size_t length) {
            content.append(data, length);
            return true;
          });
      flush();
    } else {
      ok = content_reader([&](const char* data, size_t length) {
        body.append(data, length);
        return true;
      });
    }
    if (!ok) {
      // The library sets 413 when the body passes the limit; anything else is a broken body.
      if (res.status == 413) {
        throw serve::HttpError(413, library_error(req, 413, options.max_body_bytes));
      }
      throw serve::HttpError(400,
                             "POST /v1/segment: the body could not be read (truncated "
                             "upload or malformed multipart/form-data)");
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
    for (const char* path : {"/v1/segment"}) {
      http.Get(path, [](const httplib::Request& req, httplib::Response& res) {
        send_error(res, 405, req.method + " " + req.path + ": method not allowed, use POST");
        res.set_header("Allow", "POST");
      });
    }
    for (const char* path : {"/", "/healthz", "/v1/model", "/metrics"}) {
      http.Post(path, [](const httplib::Request& req, httplib::Response& res) {
        send_error(res, 405, req.method + " " + req.path + ": method not allowed, use GET");
        res.set_header("Allow", "GET");
      });
    }
    http.set_exception_handler(
        [](const httplib::Request& req, httplib::Response& res, std::exception_ptr error) {
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
    http.set_read_timeout(options.io_timeout_s);
    http.set_write_timeout(options.io_timeout_s);
    http.set_keep_alive_timeout(5);
    const int threads = options.http_threads;
    http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
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
