#include "socket_stream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace fashionseg::serve {
namespace {

void address_of(const sockaddr_storage& address, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof(text));
    port = ntohs(v4.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof(text));
    port = ntohs(v6.sin6_port);
  }
  ip = text;
}

constexpr size_t kReadChunk = 16 * 1024;

}  // namespace

SocketStream::SocketStream(int fd, std::string received, int io_timeout_s)
    : fd_(fd), buffer_(std::move(received)), timeout_ms_(io_timeout_s * 1000) {}

bool SocketStream::wait(short events) const {
  pollfd entry{fd_, events, 0};
  for (;;) {
    const int ready = ::poll(&entry, 1, timeout_ms_);
    if (ready < 0 && errno == EINTR) continue;
    return ready > 0;
  }
}

bool SocketStream::is_readable() const { return offset_ < buffer_.size() || wait(POLLIN); }

bool SocketStream::is_writable() const { return wait(POLLOUT); }

ssize_t SocketStream::read(char* ptr, size_t size) {
  if (offset_ == buffer_.size() && size < kReadChunk) {
    // The library reads header and chunk-size lines a byte at a time: fill a buffer instead
    // of making a system call per byte.
    if (!wait(POLLIN)) return -1;
    buffer_.resize(kReadChunk);
    offset_ = 0;
    ssize_t n;
    do {
      n = ::recv(fd_, buffer_.data(), kReadChunk, 0);
    } while (n < 0 && errno == EINTR);
    buffer_.resize(n > 0 ? static_cast<size_t>(n) : 0);
    if (n <= 0) return n;
  }
  if (offset_ < buffer_.size()) {
    const size_t n = std::min(size, buffer_.size() - offset_);
    std::memcpy(ptr, buffer_.data() + offset_, n);
    offset_ += n;
    return static_cast<ssize_t>(n);
  }
  if (!wait(POLLIN)) return -1;
  ssize_t n;
  do {
    n = ::recv(fd_, ptr, size, 0);
  } while (n < 0 && errno == EINTR);
  return n;
}

ssize_t SocketStream::write(const char* ptr, size_t size) {
  size_t sent = 0;
  while (sent < size) {
    if (!wait(POLLOUT)) return -1;
    const ssize_t n = ::send(fd_, ptr + sent, size - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    sent += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(size);
}

void SocketStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    address_of(address, ip, port);
  }
}

void SocketStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    address_of(address, ip, port);
  }
}

std::string SocketStream::take_unread() {
  std::string rest = buffer_.substr(offset_);
  buffer_.clear();
  offset_ = 0;
  return rest;
}

}  // namespace fashionseg::serve
