#include "fashionseg/data/photo_inputs.h"

#include <glob.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>

#include "fashionseg/core/error.h"

namespace fashionseg {
namespace fs = std::filesystem;
namespace {

bool has_glob_characters(const std::string& text) {
  return text.find_first_of("*?[") != std::string::npos;
}

void add_folder(const fs::path& folder, bool recursive, std::vector<fs::path>& out) {
  auto take = [&](const fs::directory_entry& entry) {
    if (entry.is_regular_file() && is_photo_file(entry.path())) out.push_back(entry.path());
  };
  if (recursive) {
    for (const auto& entry : fs::recursive_directory_iterator(folder)) take(entry);
  } else {
    for (const auto& entry : fs::directory_iterator(folder)) take(entry);
  }
}

void add_input(const std::string& input, bool recursive, std::vector<fs::path>& out) {
  if (fs::is_directory(input)) {
    const size_t before = out.size();
    add_folder(input, recursive, out);
    if (out.size() == before) {
      throw Error(ErrorKind::kNotFound, "folder " + input + " holds no photos", {},
                  recursive ? "" : "add --recursive to search its subfolders");
    }
    return;
  }
  if (fs::is_regular_file(input)) {
    out.push_back(input);
    return;
  }
  if (has_glob_characters(input)) {
    glob_t matches{};
    const int status = ::glob(input.c_str(), 0, nullptr, &matches);
    size_t found = 0;
    if (status == 0) {
      for (size_t i = 0; i < matches.gl_pathc; ++i) {
        const fs::path path(matches.gl_pathv[i]);
        if (fs::is_regular_file(path) && is_photo_file(path)) {
          out.push_back(path);
          ++found;
        }
      }
    }
    globfree(&matches);
    if (found == 0) throw Error(ErrorKind::kNotFound, "pattern " + input + " matches no photos");
    return;
  }
  throw Error(ErrorKind::kNotFound, "no such photo, folder or pattern: " + input);
}

}  // namespace

bool is_photo_file(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::set<std::string> kExtensions = {".jpg",  ".jpeg", ".png", ".bmp",
                                                    ".webp", ".tif",  ".tiff"};
  return kExtensions.count(extension) > 0;
}

std::vector<fs::path> collect_photos(const std::vector<std::string>& inputs,
                                     const std::string& list_file, bool recursive) {
  std::vector<fs::path> photos;
  for (const auto& input : inputs) add_input(input, recursive, photos);
  if (!list_file.empty()) {
    std::ifstream list(list_file);
    if (!list) throw Error(ErrorKind::kNotFound, "cannot open list file " + list_file);
    const fs::path base = fs::path(list_file).parent_path();
    std::string line;
    for (size_t number = 1; std::getline(list, line); ++number) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      fs::path path(line);
      if (path.is_relative()) path = base / path;
      if (!fs::is_regular_file(path)) {
        throw_input_error("no such photo: " + path.string(), {list_file, number, ""});
      }
      photos.push_back(path);
    }
  }
  std::sort(photos.begin(), photos.end());
  photos.erase(std::unique(photos.begin(), photos.end()), photos.end());
  return photos;
}

Shard parse_shard(const std::string& text) {
  const size_t slash = text.find('/');
  Shard shard;
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    size_t used = 0;
    shard.index = std::stoi(text.substr(0, slash), &used);
    if (used != slash) throw std::invalid_argument("index");
    const std::string count = text.substr(slash + 1);
    shard.count = std::stoi(count, &used);
    if (used != count.size()) throw std::invalid_argument("count");
  } catch (const std::exception&) {
    throw_config_error("--shard '" + text + "' is not i/n", "e.g. --shard 0/4 for the first of 4");
  }
  if (shard.count < 1 || shard.index < 0 || shard.index >= shard.count) {
    throw_config_error("--shard '" + text + "' needs 0 <= i < n");
  }
  return shard;
}

std::vector<fs::path> take_shard(const std::vector<fs::path>& photos, const Shard& shard) {
  std::vector<fs::path> taken;
  for (size_t i = static_cast<size_t>(shard.index); i < photos.size();
       i += static_cast<size_t>(shard.count)) {
    taken.push_back(photos[i]);
  }
  return taken;
}

std::vector<std::string> unique_stems(const std::vector<fs::path>& photos) {
  std::set<std::string> used;
  std::vector<std::string> stems;
  for (const auto& photo : photos) {
    const std::string stem = photo.stem().string();
    std::string name = stem;
    for (int n = 2; used.count(name) > 0; ++n) name = stem + "_" + std::to_string(n);
    used.insert(name);
    stems.push_back(name);
  }
  return stems;
}

}  // namespace fashionseg
