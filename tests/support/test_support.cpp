#include "support/test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <random>
#include <stdexcept>

namespace fashionseg::test {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::random_device device;
  for (int attempt = 0; attempt < 100; ++attempt) {
    path_ = fs::temp_directory_path() /
            ("fashionseg-test-" + std::to_string(::getpid()) + "-" + std::to_string(device()));
    if (fs::create_directory(path_)) return;
  }
  throw std::runtime_error("cannot create a temp directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::optional<fs::path> shared_dataset(const std::string& name) {
  const char* override_dir = std::getenv("FASHIONSEG_SHARED_DATA");
  const fs::path root =
      override_dir ? fs::path(override_dir) : fs::path(FASHIONSEG_SHARED_DATA_DIR);
  const fs::path dir = root / name;
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return dir;
  return std::nullopt;
}

fs::path source_dir() { return FASHIONSEG_SOURCE_DIR; }

fs::path fashionseg_binary() { return FASHIONSEG_BINARY; }

std::string python() { return FASHIONSEG_PYTHON; }

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

CommandResult run_command(const std::string& command_line) {
  CommandResult result;
  FILE* pipe = ::popen((command_line + " 2>&1").c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed for: " + command_line);
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

CommandResult run_fashionseg(const std::string& arguments) {
  return run_command(shell_quote(fashionseg_binary().string()) + " " + arguments);
}

}  // namespace fashionseg::test
