#include "default_model.h"

#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "fashionseg/core/error.h"

namespace fashionseg::cli {
namespace {

std::filesystem::path executable_dir() {
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::filesystem::path() : self.parent_path();
}

}  // namespace

std::filesystem::path resolve_model_path(const std::string& requested) {
  if (!requested.empty()) return requested;
  if (const char* env = std::getenv("FASHIONSEG_MODEL"); env && *env) return env;
  std::vector<std::filesystem::path> candidates;
  const auto exe = executable_dir();
  if (!exe.empty()) {
    candidates.push_back(exe / "models" / kBundledModel);
    candidates.push_back(exe.parent_path() / "models" / kBundledModel);
    candidates.push_back(exe.parent_path() / "share" / "fashionseg" / "models" / kBundledModel);
  }
  candidates.push_back(std::filesystem::path(FASHIONSEG_SOURCE_DIR) / "models" / kBundledModel);
  std::string searched;
  for (const auto& candidate : candidates) {
    if (std::filesystem::exists(candidate)) return candidate;
    searched += (searched.empty() ? "" : ", ") + candidate.string();
  }
  throw Error(ErrorKind::kNotFound,
              "no --model given and the bundled model is missing (looked in " + searched + ")");
}

}  // namespace fashionseg::cli
