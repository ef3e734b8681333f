// The layers of include/fashionseg/ (include/fashionseg/README.md): each folder belongs to one
// library, a header includes only its own layer and those below it, the torch-free layers
// never reach <torch/...> (directly or through another fashionseg header), and the sources of
// the torch-free libraries include no torch layer header. Read from the source tree, so a
// misplaced include fails here before it slows every build that pulls in the header.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace fashionseg {
namespace {
namespace fs = std::filesystem;

std::vector<std::string> includes_of(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  const std::string content = text.str();
  static const std::regex include_line(R"(#include\s*[<"]([^>"]+)[>"])");
  std::vector<std::string> found;
  for (std::sregex_iterator it(content.begin(), content.end(), include_line), end; it != end;
       ++it) {
    found.push_back((*it)[1]);
  }
  return found;
}

/// Layer of "fashionseg/<layer>/x.h", or "" for anything else.
std::string layer_of(const std::string& include) {
  static const std::regex layered(R"(fashionseg/(core|data|torch|serve)/[a-z_0-9]+\.h)");
  std::smatch match;
  return std::regex_match(include, match, layered) ? match[1].str() : std::string();
}

bool is_torch(const std::string& include) {
  return include.rfind("torch/", 0) == 0 || include.rfind("ATen/", 0) == 0 ||
         include.rfind("c10/", 0) == 0;
}

/// What each layer may include, itself included.
const std::map<std::string, std::set<std::string>>& allowed_layers() {
  static const std::map<std::string, std::set<std::string>> allowed = {
      {"core", {"core"}},
      {"data", {"core", "data"}},
      {"serve", {"core", "data", "serve"}},
      // serve: the ServedModel the torch library builds from a Segmenter (served_model.h).
      {"torch", {"core", "data", "serve", "torch"}}};
  return allowed;
}

const fs::path& public_root() {
  static const fs::path root = test::source_dir() / "include";
  return root;
}

/// True when the header reaches <torch/...>, directly or through fashionseg headers.
bool reaches_torch(const std::string& header, std::set<std::string>& seen) {
  if (!seen.insert(header).second) return false;
  for (const auto& include : includes_of(public_root() / header)) {
    if (is_torch(include)) return true;
    if (!layer_of(include).empty() && reaches_torch(include, seen)) return true;
  }
  return false;
}

TEST(Layering, EveryPublicHeaderSitsInALayerAndIncludesOnlyLayersBelowIt) {
  size_t headers = 0;
  for (const auto& entry : fs::recursive_directory_iterator(public_root() / "fashionseg")) {
    if (entry.path().extension() != ".h") continue;
    ++headers;
    const std::string header = fs::relative(entry.path(), public_root()).generic_string();
    const std::string layer = layer_of(header);
    ASSERT_FALSE(layer.empty()) << header << " is outside the layer folders";
    for (const auto& include : includes_of(entry.path())) {
      if (include.rfind("fashionseg/", 0) != 0) continue;
      const std::string used = layer_of(include);
      EXPECT_FALSE(used.empty()) << header << " includes " << include << ", which is no layer's";
      EXPECT_TRUE(allowed_layers().at(layer).count(used))
          << header << " (" << layer << ") includes " << include << " (" << used << ")";
    }
    if (layer != "torch") {
      std::set<std::string> seen;
      EXPECT_FALSE(reaches_torch(header, seen)) << header << " pulls in LibTorch";
    }
  }
  EXPECT_GT(headers, 40u);
}

TEST(Layering, TorchFreeLibrariesIncludeNoTorchHeader) {
  // The source folders of fashionseg_core, fashionseg_data and fashionseg_serve (CMakeLists).
  const std::map<std::string, std::string> folders = {
      {"core", "core"},   {"config", "data"}, {"data", "data"},    {"metrics", "data"},
      {"render", "data"}, {"report", "data"}, {"results", "data"}, {"serve", "serve"}};
  size_t files = 0;
  for (const auto& [folder, layer] : folders) {
    for (const auto& entry : fs::directory_iterator(test::source_dir() / "src" / folder)) {
      const auto extension = entry.path().extension();
      if (extension != ".cpp" && extension != ".h") continue;
      ++files;
      for (const auto& include : includes_of(entry.path())) {
        EXPECT_FALSE(is_torch(include)) << entry.path() << " includes " << include;
        const std::string used = layer_of(include);
        if (!used.empty()) {
          EXPECT_TRUE(allowed_layers().at(layer).count(used))
              << entry.path() << " (" << layer << ") includes " << include;
        }
      }
    }
  }
  EXPECT_GT(files, 30u);
}

TEST(Layering, TheLibrarysFrontDoorsCompileWithoutLibTorch) {
  for (const char* header : {"fashionseg/torch/segmenter.h", "fashionseg/torch/trainer.h",
                             "fashionseg/torch/runtime.h"}) {
    std::set<std::string> seen;
    EXPECT_FALSE(reaches_torch(header, seen)) << header;
  }
  // The checks are only as good as their reading of includes: these they must see.
  std::set<std::string> seen;
  EXPECT_TRUE(reaches_torch("fashionseg/torch/model_registry.h", seen));
}

}  // namespace
}  // namespace fashionseg
