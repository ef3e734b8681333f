#include "fashionseg/core/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <sstream>

#include "fashionseg/core/error.h"

namespace fashionseg {
namespace fs = std::filesystem;
namespace {

constexpr const char* kTempMarker = ".fstmp-";

fs::path temp_path_for(const fs::path& path) {
  static std::atomic<unsigned> counter{0};
  return path.parent_path() / ("." + path.filename().string() + kTempMarker +
                               std::to_string(::getpid()) + "-" + std::to_string(counter++));
}

void write_all(int fd, const char* data, size_t size, const fs::path& temp) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int saved = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      errno = saved;
      throw_io_error("cannot write", temp.string());
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

}  // namespace

void write_file_atomic(const fs::path& path, std::string_view bytes) {
  if (path.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      throw Error(ErrorKind::kIo, "cannot create directory: " + ec.message(),
                  Location{path.parent_path().string(), 0, ""});
    }
  }
  const fs::path temp = temp_path_for(path);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw_io_error("cannot create file", temp.string());
  write_all(fd, bytes.data(), bytes.size(), temp);
  // fsync before rename: otherwise a power cut can leave the final name with empty content.
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int saved = errno;
    ::unlink(temp.c_str());
    errno = saved;
    throw_io_error("cannot flush file", temp.string());
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temp.c_str());
    errno = saved;
    throw_io_error("cannot move temp file into place", path.string());
  }
}

void write_file_atomic(const fs::path& path, const std::vector<unsigned char>& bytes) {
  write_file_atomic(path,
                    std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string read_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    throw Error(ErrorKind::kNotFound, "no such file", Location{path.string(), 0, ""});
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_io_error("cannot open", path.string());
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw_io_error("cannot read", path.string());
  return std::move(buffer).str();
}

bool is_atomic_temp_name(const std::string& filename) {
  return !filename.empty() && filename[0] == '.' && filename.find(kTempMarker) != std::string::npos;
}

size_t remove_atomic_temps(const fs::path& dir) {
  size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && is_atomic_temp_name(entry.path().filename().string())) {
      fs::remove(entry.path(), ec);
      if (!ec) ++removed;
    }
  }
  return removed;
}

void check_photo_name(const std::string& name, const Location& where) {
  if (name.find('\0') != std::string::npos)
    throw_input_error("the photo name holds a NUL byte", where);
  const fs::path path(name);
  if (path.is_absolute() || name.front() == '/') {
    throw_input_error("the photo name '" + name + "' is an absolute path", where,
                      "photo names are relative to the image folder");
  }
  for (const fs::path& part : path) {
    if (part == "..") {
      throw_input_error("the photo name '" + name + "' leads out of the image folder (..)", where,
                        "photo names are relative to the image folder");
    }
    if (part.native().size() > 255) {
      throw_input_error("the photo name '" + name.substr(0, 60) + "...' has a part of " +
                            std::to_string(part.native().size()) +
                            " bytes, longer than a file name can be (255)",
                        where);
    }
  }
}

}  // namespace fashionseg
