#pragma once
/// Helpers shared by the tests: temporary directories, locating shared data, running the
/// fashionseg binary and Python reference scripts.

#include <filesystem>
#include <optional>
#include <string>

namespace fashionseg::test {

/// A fresh directory under the system temp dir, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// ../shared/data/<name> when it exists, otherwise nullopt (the caller skips the test).
std::optional<std::filesystem::path> shared_dataset(const std::string& name);

/// The repository root (for fixtures and scripts).
std::filesystem::path source_dir();

/// Path of the built fashionseg binary.
std::filesystem::path fashionseg_binary();

/// Path of the Python interpreter that has torch and torchvision (Debian's python3).
std::string python();

/// Output and exit status of a finished command.
struct CommandResult {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr together
};

/// Runs a shell command line, capturing stdout+stderr.
CommandResult run_command(const std::string& command_line);

/// Runs the fashionseg binary with the given arguments (already shell-quoted as needed).
CommandResult run_fashionseg(const std::string& arguments);

/// Quotes a string for /bin/sh.
std::string shell_quote(const std::string& text);

}  // namespace fashionseg::test
