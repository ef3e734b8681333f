// `fashionseg serve`: the HTTP segmentation service with its try-it page, on the bundled model
// unless --model names another. SIGINT/SIGTERM stop it gracefully: the listening socket
// closes and requests in progress are answered before the program exits.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <thread>

#include "commands.h"
#include "default_model.h"
#include "fashionseg/core/error.h"
#include "fashionseg/torch/segmenter.h"
#include "fashionseg/torch/served_model.h"

namespace fashionseg::cli {
namespace {

struct ServeArguments {
  std::string model;
  std::string device = "cpu";
  std::string precision = "auto";
  ServeOptions server;
  double max_body_mb = 20.0;
};

// A signal may land on any thread (torch's pools included), so the handler only writes to a
// pipe; a watcher thread reads it and stops the server outside signal context.
int stop_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int) {
  const char byte = 1;
  [[maybe_unused]] const ssize_t written = write(stop_pipe[1], &byte, 1);
}

void install_stop_signals() {
  if (pipe2(stop_pipe, O_CLOEXEC) != 0) throw_io_error("cannot create the signal pipe", "pipe");
  struct sigaction action = {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not end the service
}

void run_serve(ServeArguments a) {
  a.server.max_body_bytes = static_cast<size_t>(a.max_body_mb * 1024 * 1024);
  SegmenterOptions options;
  options.device = a.device;
  options.area_rule.min_area_fraction = a.server.min_area;
  options.area_rule.overrides_calibration = a.server.min_area_given;
  options.precision = a.precision;
  const std::filesystem::path model_path = resolve_model_path(a.model);
  const Segmenter segmenter(model_path, options);
  SegmentationServer server(make_served_model(segmenter), a.server);
  install_stop_signals();
  const int port = server.bind();
  std::thread watcher([&server] {
    char byte = 0;
    while (read(stop_pipe[0], &byte, 1) < 0 && errno == EINTR) {
    }
    server.stop();
  });
  std::cout << "model: " << model_path.string() << " (" << segmenter.architecture() << ", "
            << segmenter.class_names().size() << " classes)\n"
            << "listening on http://" << a.server.host << ":" << port
            << "  (page: /, API: POST /v1/segment, GET /v1/model, /healthz, /metrics)" << std::endl;
  server.run();
  if (watcher.joinable()) {
    on_stop_signal(0);  // wakes the watcher if run() ended for another reason
    watcher.join();
  }
  std::cout << "stopped after " << server.requests_answered() << " requests" << std::endl;
}

}  // namespace

Command add_serve_command(CLI::App& root, const GlobalOptions& global) {
  CLI::App* app = root.add_subcommand(
      "serve", "HTTP service: POST /v1/segment, GET /v1/model, /healthz, /metrics and a page at /");
  auto a = std::make_shared<ServeArguments>();
  ServeOptions& s = a->server;
  app->add_option("-m,--model", a->model, "Checkpoint (.fsm); default: the bundled model");
  app->add_option("--device", a->device, "cpu, cuda or cuda:N")->capture_default_str();
  app->add_option("--precision", a->precision,
                  "fp32, bf16 or auto (bf16 where this CPU computes it natively and the model "
                  "gains from it)")
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}))
      ->capture_default_str();
  app->add_option("--host", s.host, "Address to bind (0.0.0.0 = every interface)")
      ->capture_default_str();
  app->add_option("-p,--port", s.port, "Port (0 = any free port, printed)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app->add_option("--workers", s.workers, "Segmentations at the same time")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app->add_option("--queue", s.queue_capacity,
                  "Requests that may wait for a worker; more get 503 with Retry-After")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  app->add_option("--queue-timeout", s.queue_timeout_s,
                  "Seconds a request may wait for a worker before a 503")
      ->check(CLI::Range(0.001, 3600.0))
      ->capture_default_str();
  app->add_option("--io-timeout", s.io_timeout_s, "Socket read/write timeout, seconds")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app->add_option("--header-timeout", s.header_timeout_s,
                  "Seconds a connection may take to send a request's headers (also the "
                  "keep-alive idle time); waiting connections hold no HTTP thread")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  app->add_option("--max-connections", s.max_connections,
                  "Open connections at once; more are answered 503 and closed")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app->add_option("--http-threads", s.http_threads,
                  "Requests handled at once (from the arrival of their headers)")
      ->check(CLI::Range(2, 1024))
      ->capture_default_str();
  app->add_option("--max-body-mb", a->max_body_mb, "Largest request body (413 above)")
      ->check(CLI::Range(0.01, 1024.0))
      ->capture_default_str();
  app->add_option("--max-pixels", s.max_pixels, "Largest image in pixels (400 above)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 34))
      ->capture_default_str();
  app->add_flag("--flip", s.flip, "Flip test-time augmentation by default (?flip=0|1 per request)");
  app->add_option("--min-area", s.min_area, "Default ?min_area: share a category must cover")
      ->check(CLI::Range(0.0, 0.99))
      ->capture_default_str();
  return {app, [a, app] {
            a->server.min_area_given = app->count("--min-area") > 0;
            run_serve(*a);
          }};
}

}  // namespace fashionseg::cli
