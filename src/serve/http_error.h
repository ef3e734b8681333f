#pragma once
/// An error that becomes an HTTP answer: a status (4xx/5xx) and a message for the client.

#include <stdexcept>
#include <string>

namespace fashionseg::serve {

/// Thrown by request handling; the server answers {"error": what()} with `status`.
class HttpError : public std::runtime_error {
 public:
  HttpError(int status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

}  // namespace fashionseg::serve
