#pragma once
/// One HTTP connection as the HTTP library's Stream, starting with bytes already received
/// (the request's header block, read by the ConnectionGate) and then reading the socket.
/// Every wait is bounded by the I/O timeout, so a stalled client costs a thread for at most
/// that long per read or write.

#include <httplib.h>

#include <string>

namespace fashionseg::serve {

class SocketStream final : public httplib::Stream {
 public:
  /// `fd` stays owned by the caller. `received` is served before anything is read from `fd`.
  SocketStream(int fd, std::string received, int io_timeout_s);

  bool is_readable() const override;
  bool is_writable() const override;
  /// Up to `size` bytes; 0 at end of stream, -1 on error or after the I/O timeout.
  ssize_t read(char* ptr, size_t size) override;
  /// All of `size` bytes unless the client stalls past the I/O timeout or hangs up (-1).
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return fd_; }

  /// Bytes received but not read yet (the start of a pipelined next request).
  std::string take_unread();

 private:
  bool wait(short events) const;

  int fd_;
  std::string buffer_;
  size_t offset_ = 0;
  int timeout_ms_;
};

}  // namespace fashionseg::serve
