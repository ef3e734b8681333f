#pragma once
/// Errors: every failure that a user can cause is a fashionseg::Error that says what went
/// wrong, where (file, line, item such as an ImageId) and, when useful, what to do.
/// The CLI turns it into one message and a non-zero exit; the server into a 4xx.

#include <cstddef>
#include <stdexcept>
#include <string>

namespace fashionseg {

/// What kind of failure this is; it decides the CLI exit code and the HTTP status.
enum class ErrorKind {
  kInput,     ///< malformed data: CSV, RLE, JSON, images, masks (exit 3, HTTP 400)
  kConfig,    ///< bad configuration or option value (exit 2, HTTP 400)
  kIo,        ///< a file that cannot be read or written (exit 4, HTTP 500)
  kNotFound,  ///< a named thing that does not exist: file, model, class (exit 4, HTTP 404)
  kInternal,  ///< a broken invariant: a bug in fashionseg (exit 1, HTTP 500)
};

/// Where an error happened. Every field is optional; empty fields are not printed.
struct Location {
  std::string file;  ///< path of the offending file
  size_t line = 0;   ///< 1-based line (or record) number; 0 = unknown
  std::string item;  ///< the record's identity, e.g. "ImageId 00a1.jpg" or "annotation 17"
};

/// The one exception type fashionseg throws for failures a user can cause or fix.
class Error : public std::runtime_error {
 public:
  /// Builds the error; what() is "file:line: item: message (hint)".
  Error(ErrorKind kind, const std::string& message, Location where = {}, std::string hint = {});

  ErrorKind kind() const noexcept { return kind_; }
  /// The message without the location and hint.
  const std::string& message() const noexcept { return message_; }
  const Location& where() const noexcept { return where_; }
  const std::string& hint() const noexcept { return hint_; }
  /// The process exit code the CLI uses for this error (never 0).
  int exit_code() const noexcept;
  /// The HTTP status the web service answers with for this error.
  int http_status() const noexcept;

 private:
  ErrorKind kind_;
  std::string message_;
  Location where_;
  std::string hint_;
};

/// Shorthands for the common kinds.
[[noreturn]] void throw_input_error(const std::string& message, Location where = {},
                                    std::string hint = {});
[[noreturn]] void throw_config_error(const std::string& message, std::string hint = {});
[[noreturn]] void throw_io_error(const std::string& message, const std::string& path);

/// Formats a location as "file:line: item" (empty parts left out).
std::string format_location(const Location& where);

}  // namespace fashionseg
