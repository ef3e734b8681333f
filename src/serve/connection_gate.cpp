#include "connection_gate.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "fashionseg/data/json_text.h"
#include "socket_stream.h"

namespace fashionseg::serve {
namespace {

using Clock = std::chrono::steady_clock;

thread_local bool close_requested = false;
thread_local std::string request_line;

/// Where the header block ends (just past its blank line), or npos while incomplete.
size_t header_end(const std::string& received) {
  const size_t at = received.find("\r\n\r\n");
  return at == std::string::npos ? at : at + 4;
}

const char* reason(int status) {
  switch (status) {
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Service Unavailable";
  }
}

/// Sends a complete JSON error answer if the socket takes it now; never waits.
void send_now(int fd, int status, const std::string& message) {
  const std::string body = json_text({{"error", message}});
  const std::string answer = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) +
                             "\r\nContent-Type: application/json; charset=utf-8\r\n"
                             "Content-Length: " +
                             std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  [[maybe_unused]] const ssize_t sent =
      ::send(fd, answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

// A refused connection is read and discarded for a short while before it is closed: closing
// a socket with unread input resets it, and the client would lose the answer.
constexpr std::chrono::milliseconds kDrainTime{2000};
constexpr size_t kDrainBytes = 1 << 20;

}  // namespace

ConnectionGate::ConnectionGate(GateLimits limits, RequestHandler handle)
    : limits_(limits), handle_(std::move(handle)) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::runtime_error("cannot create an eventfd for the connection gate");
  watcher_ = std::thread([this] { watch(); });
  for (int i = 0; i < limits_.threads; ++i) workers_.emplace_back([this] { work(); });
}

ConnectionGate::~ConnectionGate() {
  shutdown();
  ::close(wake_fd_);
}

void ConnectionGate::close_after_this_request() { close_requested = true; }

const std::string& ConnectionGate::current_request_line() { return request_line; }

void ConnectionGate::admit(int fd) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && open_ < limits_.max_connections) {
      ++open_;
      Connection c;
      c.fd = fd;
      c.deadline = Clock::now() + limits_.header_timeout;
      incoming_.push_back(std::move(c));
      const uint64_t one = 1;
      [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof(one));
      return;
    }
  }
  send_now(fd, 503,
           "the service has " + std::to_string(limits_.max_connections) +
               " open connections, its limit; retry later");
  ::shutdown(fd, SHUT_WR);
  ::close(fd);
}

void ConnectionGate::enqueue_incoming(Connection connection) {
  std::lock_guard lock(mutex_);
  if (stopping_) {
    ::close(connection.fd);
    --open_;
    return;
  }
  incoming_.push_back(std::move(connection));
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof(one));
}

void ConnectionGate::close_connection(Connection& c) {
  if (c.fd >= 0) ::close(c.fd);
  c.fd = -1;
  std::lock_guard lock(mutex_);
  --open_;
}

void ConnectionGate::refuse(Connection& c, int status, const std::string& message) {
  send_now(c.fd, status, message);
  ::shutdown(c.fd, SHUT_WR);
  c.draining = true;
  c.received.clear();
  c.received.shrink_to_fit();
  c.deadline = Clock::now() + kDrainTime;
}

bool ConnectionGate::receive(Connection& c) {
  char chunk[16 * 1024];
  size_t drained = 0;
  for (;;) {
    const ssize_t n = ::recv(c.fd, chunk, sizeof(chunk), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n == 0 && !c.draining && header_end(c.received) != std::string::npos) {
      break;  // the client half-closed after a complete request: it still gets its answer
    }
    if (n <= 0) {
      close_connection(c);
      return false;
    }
    if (c.draining) {
      drained += static_cast<size_t>(n);
      if (drained > kDrainBytes) {
        close_connection(c);
        return false;
      }
      continue;
    }
    const size_t before = c.received.size();
    c.received.append(chunk, static_cast<size_t>(n));
    // Only the new bytes (and the three before them) can complete the blank line.
    const size_t from = before < 3 ? 0 : before - 3;
    const size_t at = c.received.find("\r\n\r\n", from);
    if (at != std::string::npos) {
      if (at + 4 > limits_.max_header_bytes) break;  // refused below
      std::lock_guard lock(mutex_);
      ready_.push_back(std::move(c));
      ready_changed_.notify_one();
      return false;
    }
    if (c.received.size() > limits_.max_header_bytes) break;
  }
  const size_t end = header_end(c.received);
  if (end == std::string::npos || end > limits_.max_header_bytes) {
    refuse(c, 431,
           "the request line and headers are larger than the limit of " +
               std::to_string(limits_.max_header_bytes) + " bytes");
    return true;
  }
  std::lock_guard lock(mutex_);
  ready_.push_back(std::move(c));
  ready_changed_.notify_one();
  return false;
}

void ConnectionGate::watch() {
  std::vector<Connection> waiting;
  std::vector<pollfd> polled;
  for (;;) {
    bool stop = false;
    {
      std::lock_guard lock(mutex_);
      stop = stopping_;
      for (Connection& c : incoming_) waiting.push_back(std::move(c));
      incoming_.clear();
    }
    if (stop) break;
    // A returning connection may already hold the next (pipelined) request.
    for (auto it = waiting.begin(); it != waiting.end();) {
      const size_t end = header_end(it->received);
      if (!it->draining && end != std::string::npos && end <= limits_.max_header_bytes) {
        std::lock_guard lock(mutex_);
        ready_.push_back(std::move(*it));
        ready_changed_.notify_one();
        it = waiting.erase(it);
      } else {
        ++it;
      }
    }
    const auto now = Clock::now();
    auto next = now + std::chrono::seconds(60);
    polled.assign(1, pollfd{wake_fd_, POLLIN, 0});
    for (const Connection& c : waiting) {
      polled.push_back(pollfd{c.fd, POLLIN, 0});
      next = std::min(next, c.deadline);
    }
    const auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
    const int ready =
        ::poll(polled.data(), polled.size(), static_cast<int>(std::max<int64_t>(0, wait_ms + 1)));
    if (ready < 0 && errno != EINTR) {
      spdlog::error("connection gate: poll failed: {}", std::strerror(errno));
    }
    if (polled[0].revents & POLLIN) {
      uint64_t count = 0;
      [[maybe_unused]] const ssize_t n = ::read(wake_fd_, &count, sizeof(count));
    }
    std::vector<Connection> still;
    still.reserve(waiting.size());
    const auto after = Clock::now();
    for (size_t i = 0; i < waiting.size(); ++i) {
      Connection& c = waiting[i];
      if (ready > 0 && polled[i + 1].revents != 0 && !receive(c)) continue;
      if (after >= c.deadline) {
        if (!c.draining && !c.received.empty()) {
          refuse(c, 408,
                 "the request headers did not arrive within " +
                     std::to_string(limits_.header_timeout.count()) + " ms");
        } else {
          close_connection(c);
          continue;
        }
      }
      still.push_back(std::move(c));
    }
    waiting = std::move(still);
  }
  for (Connection& c : waiting) close_connection(c);
}

void ConnectionGate::work() {
  for (;;) {
    Connection c;
    bool last = false;
    {
      std::unique_lock lock(mutex_);
      ready_changed_.wait(lock, [&] { return !ready_.empty() || workers_stop_; });
      if (ready_.empty()) return;
      c = std::move(ready_.front());
      ready_.pop_front();
      last = stopping_;
    }
    ++c.requests;
    last = last || c.requests >= limits_.max_requests_per_connection;
    close_requested = false;
    request_line = c.received.substr(0, std::min(c.received.find("\r\n"), size_t{200}));
    SocketStream stream(c.fd, std::move(c.received), limits_.io_timeout_s);
    bool keep = false;
    try {
      keep = handle_(stream, last);
    } catch (const std::exception& e) {
      spdlog::error("a request failed outside its handler: {}", e.what());
    } catch (...) {
      spdlog::error("a request failed outside its handler");
    }
    if (keep && !last && !close_requested) {
      c.received = stream.take_unread();
      c.deadline = Clock::now() + limits_.header_timeout;
      enqueue_incoming(std::move(c));
    } else {
      close_connection(c);
    }
  }
}

void ConnectionGate::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && workers_stop_) return;
    stopping_ = true;
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  }
  if (watcher_.joinable()) watcher_.join();
  {
    // Only now: the watcher may have handed over a request until it ended.
    std::lock_guard lock(mutex_);
    workers_stop_ = true;
  }
  ready_changed_.notify_all();
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
  std::lock_guard lock(mutex_);
  for (Connection& c : incoming_) ::close(c.fd);
  incoming_.clear();
}

}  // namespace fashionseg::serve
