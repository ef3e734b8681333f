#pragma once
// What the server tests share: a stand-in model, a server on a free loopback port running on
// its own thread, and a raw socket for requests no HTTP client would send.
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <opencv2/core.hpp>
#include <string>
#include <thread>

#include "fashionseg/data/image_io.h"
#include "fashionseg/serve/serve.h"

namespace fashionseg::test {

/// Labels the left half of a photo 1 and the bottom-right quarter 2; flip mirrors it. Calls
/// wait on `gate` while it is set, so tests can hold a segmentation in progress.
struct StandInModel {
  std::shared_future<void> gate;
  std::atomic<int> calls{0};
  std::atomic<int> started{0};

  ServedModel served() {
    ServedModel model;
    model.architecture = "stand-in";
    model.class_names = {"background", "shirt, blouse", "shoe"};
    model.input_size = {32, 48};
    model.parameters = 7;
    model.category_head = true;
    model.bf16 = true;
    model.segment = [this, names = model.class_names](const cv::Mat& rgb, bool flip,
                                                      const AreaRule& rule) {
      ++started;
      if (gate.valid()) gate.wait();
      ++calls;
      Segmentation result;
      result.labels = cv::Mat(rgb.size(), CV_8UC1, cv::Scalar(0));
      result.labels(cv::Rect(0, 0, rgb.cols / 2, rgb.rows)).setTo(1);
      result
          .labels(cv::Rect(rgb.cols / 2, rgb.rows / 2, rgb.cols - rgb.cols / 2,
                           rgb.rows - rgb.rows / 2))
          .setTo(2);
      if (flip) cv::flip(result.labels, result.labels, 1);
      result.categories = find_categories(result.labels, names, rule);
      return result;
    };
    return model;
  }
};

inline std::string png_photo(int width, int height) {
  const std::vector<unsigned char> bytes =
      encode_png(cv::Mat(height, width, CV_8UC3, cv::Scalar(90, 120, 150)));
  return {bytes.begin(), bytes.end()};
}

/// A server on a free loopback port, running on its own thread.
class RunningServer {
 public:
  int port() const { return port_; }
  RunningServer(ServedModel model, ServeOptions options) : server_(std::move(model), options) {
    port_ = server_.bind();
    thread_ = std::thread([this] { server_.run(); });
  }
  ~RunningServer() { stop(); }
  void stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30);
    return c;
  }
  SegmentationServer& server() { return server_; }
  /// POSTs `photo` to `path` on another thread; the future holds the status (-1: no answer).
  std::future<int> post_in_background(const std::string& path, const std::string& photo) {
    return std::async(std::launch::async, [this, path, photo] {
      const auto result = client().Post(path, photo, "image/png");
      return result ? result->status : -1;
    });
  }

 private:
  SegmentationServer server_;
  int port_ = 0;
  std::thread thread_;
};

inline ServeOptions loopback() {
  ServeOptions options;
  options.port = 0;
  return options;
}

/// A plain TCP connection to the loopback server.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  bool connected() const { return connected_; }
  /// Sends all of `data`; false once the server has closed or reset the connection.
  bool send(const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  /// Ends the sending side (the client half-closes).
  void finish_sending() { ::shutdown(fd_, SHUT_WR); }
  /// What arrives until the server closes, or until nothing came for `quiet` (bounded by
  /// `limit` in all).
  std::string receive(std::chrono::milliseconds quiet = std::chrono::milliseconds(3000),
                      std::chrono::milliseconds limit = std::chrono::milliseconds(20000)) {
    std::string text;
    const auto end = std::chrono::steady_clock::now() + limit;
    char chunk[65536];
    while (std::chrono::steady_clock::now() < end) {
      pollfd entry{fd_, POLLIN, 0};
      if (::poll(&entry, 1, static_cast<int>(quiet.count())) <= 0) break;
      const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) break;
      text.append(chunk, static_cast<size_t>(n));
    }
    return text;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

/// The status code of a raw HTTP answer, or 0 when there is none.
inline int status_of(const std::string& answer) {
  if (answer.rfind("HTTP/1.1 ", 0) != 0 || answer.size() < 12) return 0;
  return std::atoi(answer.substr(9, 3).c_str());
}

/// The body of the first raw HTTP answer: after the blank line, Content-Length bytes when
/// the answer says so (pipelined answers may follow).
inline std::string body_of(const std::string& answer) {
  const size_t at = answer.find("\r\n\r\n");
  if (at == std::string::npos) return {};
  const std::string head = answer.substr(0, at);
  const size_t length_at = head.find("Content-Length: ");
  if (length_at == std::string::npos) return answer.substr(at + 4);
  const size_t length = std::strtoul(head.c_str() + length_at + 16, nullptr, 10);
  return answer.substr(at + 4, length);
}

}  // namespace fashionseg::test
