#pragma once
/// The connection layer of the service, in front of the HTTP library's request handling.
/// One thread waits on every open connection with poll() until a complete request header
/// block has arrived; only then does an HTTP thread take the connection for that one request
/// and hand it back afterwards. So clients that send their headers slowly, or keep an idle
/// connection open, hold no HTTP thread and cannot starve others; header blocks larger than
/// the limit are refused (431) after reading at most that much; connections beyond the limit
/// are refused (503) at once.

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fashionseg::serve {

struct GateLimits {
  size_t max_header_bytes = 32 * 1024;  ///< request line + headers + blank line
  /// Time a connection may take to deliver a complete header block, counted from when it
  /// opens or its previous answer was sent (so it also ends idle keep-alive connections).
  std::chrono::milliseconds header_timeout{5000};
  int max_connections = 512;  ///< open connections; more are answered 503 and closed
  int max_requests_per_connection = 100;
  int threads = 16;       ///< HTTP threads handling requests with complete headers
  int io_timeout_s = 10;  ///< per read/write while a request is handled
};

/// Answers one request read from `stream`; `last` asks the handler to close the connection
/// (it says so in its answer). Returns false when the connection must be closed now.
using RequestHandler = std::function<bool(httplib::Stream& stream, bool last)>;

class ConnectionGate {
 public:
  ConnectionGate(GateLimits limits, RequestHandler handle);
  ~ConnectionGate();
  ConnectionGate(const ConnectionGate&) = delete;
  ConnectionGate& operator=(const ConnectionGate&) = delete;

  /// Takes ownership of an accepted socket. Never blocks.
  void admit(int fd);
  /// Stops taking connections: those still waiting for headers are closed, requests whose
  /// headers have arrived are answered, then the threads end. Idempotent.
  void shutdown();

  /// Called by a request handler: the connection closes after this answer (for example
  /// when the request's body was not read).
  static void close_after_this_request();
  /// The request line of the request being handled on this thread (at most 200 bytes, as
  /// received), for messages about requests the library could not parse.
  static const std::string& current_request_line();

 private:
  struct Connection {
    int fd = -1;
    std::string received;
    std::chrono::steady_clock::time_point deadline;
    int requests = 0;
    bool draining = false;  ///< refused: reading and discarding until the client closes
  };

  void watch();
  void work();
  void enqueue_incoming(Connection connection);
  /// Reads what `c` has sent; false when it is finished (closed or handed to a thread).
  bool receive(Connection& c);
  void refuse(Connection& c, int status, const std::string& message);
  void close_connection(Connection& c);

  const GateLimits limits_;
  const RequestHandler handle_;
  int wake_fd_ = -1;

  std::mutex mutex_;
  std::condition_variable ready_changed_;
  std::vector<Connection> incoming_;  ///< new or returning connections, for the poll thread
  std::deque<Connection> ready_;      ///< complete header blocks, for the HTTP threads
  int open_ = 0;                      ///< connections owned by the gate
  bool stopping_ = false;
  bool workers_stop_ = false;  ///< set once the poll thread has ended

  std::thread watcher_;
  std::vector<std::thread> workers_;
};

}  // namespace fashionseg::serve
