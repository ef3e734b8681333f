#include "fashionseg/core/error.h"

#include <cerrno>
#include <cstring>

namespace fashionseg {
namespace {

std::string compose(const std::string& message, const Location& where, const std::string& hint) {
  std::string text = format_location(where);
  if (!text.empty()) text += ": ";
  text += message;
  if (!hint.empty()) text += " (" + hint + ")";
  return text;
}

}  // namespace

std::string format_location(const Location& where) {
  std::string text = where.file;
  if (!where.file.empty() && where.line > 0) text += ":" + std::to_string(where.line);
  if (where.file.empty() && where.line > 0) text += "line " + std::to_string(where.line);
  if (!where.item.empty()) text += (text.empty() ? "" : ": ") + where.item;
  return text;
}

Error::Error(ErrorKind kind, const std::string& message, Location where, std::string hint)
    : std::runtime_error(compose(message, where, hint)),
      kind_(kind),
      message_(message),
      where_(std::move(where)),
      hint_(std::move(hint)) {}

int Error::exit_code() const noexcept {
  switch (kind_) {
    case ErrorKind::kInput:
      return 3;
    case ErrorKind::kConfig:
      return 2;
    case ErrorKind::kIo:
    case ErrorKind::kNotFound:
      return 4;
    case ErrorKind::kInternal:
      return 1;
  }
  return 1;
}

int Error::http_status() const noexcept {
  switch (kind_) {
    case ErrorKind::kInput:
    case ErrorKind::kConfig:
      return 400;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kIo:
    case ErrorKind::kInternal:
      return 500;
  }
  return 500;
}

void throw_input_error(const std::string& message, Location where, std::string hint) {
  throw Error(ErrorKind::kInput, message, std::move(where), std::move(hint));
}

void throw_config_error(const std::string& message, std::string hint) {
  throw Error(ErrorKind::kConfig, message, {}, std::move(hint));
}

void throw_io_error(const std::string& message, const std::string& path) {
  const int saved = errno;
  std::string text = message;
  if (saved != 0) text += ": " + std::string(std::strerror(saved));
  throw Error(ErrorKind::kIo, text, Location{path, 0, ""});
}

}  // namespace fashionseg
