#include "fashionseg/data/image_tags.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>

#include "fashionseg/core/files.h"
#include "fashionseg/data/csv.h"
#include "fashionseg/data/photo_inputs.h"

namespace fashionseg {
namespace fs = std::filesystem;
namespace {

std::string trim(std::string_view text) {
  size_t begin = 0, end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(begin, end - begin));
}

// Lower case, '_' read as a space, runs of spaces as one: the form names are compared in.
std::string name_key(std::string_view text) {
  std::string key;
  for (char c : trim(text)) {
    c = c == '_' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c == ' ' && (key.empty() || key.back() == ' ')) continue;
    key += c;
  }
  return key;
}

std::vector<std::string> split_tokens(const std::string& field) {
  std::vector<std::string> tokens;
  const bool semicolons = field.find(';') != std::string::npos;
  size_t begin = 0;
  while (begin <= field.size()) {
    size_t end = semicolons ? field.find(';', begin) : field.find_first_of(" \t", begin);
    if (end == std::string::npos) end = field.size();
    std::string token = trim(std::string_view(field).substr(begin, end - begin));
    if (!token.empty()) tokens.push_back(std::move(token));
    begin = end + 1;
  }
  return tokens;
}

bool plain_file_name(const std::string& id) {
  return !id.empty() && id != "." && id != ".." && id.find('/') == std::string::npos &&
         id.find('\\') == std::string::npos;
}

}  // namespace

std::string UnmaskedSource::description() const {
  return (kind == Kind::kTags ? "tags " : "photos ") + origin.string();
}

TagVocabulary::TagVocabulary(const Taxonomy& taxonomy) : taxonomy_(taxonomy) {
  // Whole names first: they win over a part that another category happens to share.
  for (const Category& category : taxonomy.categories)
    names_[name_key(category.name)] = category.id;
  std::map<std::string, int> parts;
  for (const Category& category : taxonomy.categories) {
    size_t begin = 0;
    while (begin <= category.name.size()) {
      size_t end = category.name.find(',', begin);
      if (end == std::string::npos) end = category.name.size();
      const std::string key = name_key(std::string_view(category.name).substr(begin, end - begin));
      begin = end + 1;
      if (key.empty()) continue;
      auto [it, inserted] = parts.emplace(key, category.id);
      if (!inserted && it->second != category.id) it->second = -1;
    }
  }
  for (const auto& [key, id] : parts) names_.emplace(key, id);  // keeps whole names
}

std::optional<int> TagVocabulary::find(const std::string& token) const {
  int id = 0;
  const auto result = std::from_chars(token.data(), token.data() + token.size(), id);
  if (result.ec == std::errc() && result.ptr == token.data() + token.size()) {
    if (taxonomy_.find_category(id)) return id;
    return std::nullopt;
  }
  const auto found = names_.find(name_key(token));
  if (found == names_.end() || found->second < 0) return std::nullopt;
  return found->second;
}

TagPaths TagPaths::resolve(const fs::path& given, const fs::path& photos) {
  TagPaths paths;
  if (fs::is_directory(given)) {
    paths.csv = given / "tags.csv";
    paths.photos = given / "photos";
  } else {
    paths.csv = given;
    const fs::path folder = given.parent_path().empty() ? fs::path(".") : given.parent_path();
    paths.photos = fs::is_directory(folder / "photos") ? folder / "photos" : folder;
  }
  if (!photos.empty()) paths.photos = photos;
  return paths;
}

UnmaskedSource read_tag_file(const TagPaths& paths, const Taxonomy& taxonomy) {
  if (!fs::is_regular_file(paths.csv)) {
    throw Error(ErrorKind::kNotFound, "tag file not found", Location{paths.csv.string(), 0, ""},
                "give a CSV ImageId,ClassIds or a folder holding tags.csv and photos/");
  }
  if (!fs::is_directory(paths.photos)) {
    throw Error(ErrorKind::kNotFound, "photo folder of the tag file not found",
                Location{paths.photos.string(), 0, ""}, "name it with --tag-images DIR");
  }
  UnmaskedSource source;
  source.kind = UnmaskedSource::Kind::kTags;
  source.origin = fs::absolute(paths.csv).lexically_normal();
  const fs::path photo_dir = fs::absolute(paths.photos).lexically_normal();
  const TagVocabulary vocabulary(taxonomy);
  const std::string text = read_file(paths.csv);
  std::map<std::string, size_t> seen;  // ImageId -> line
  size_t begin = 0, line = 0;
  bool header = false;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string_view record(text.data() + begin, end - begin);
    begin = end + 1;
    ++line;
    if (!record.empty() && record.back() == '\r') record.remove_suffix(1);
    if (trim(record).empty()) continue;
    const Location where{paths.csv.string(), line, ""};
    const std::vector<std::string> fields = parse_csv_record(record, where);
    if (!header) {
      if (fields.size() != 2 || trim(fields[0]) != "ImageId" || trim(fields[1]) != "ClassIds") {
        throw_input_error("expected the header ImageId,ClassIds", where);
      }
      header = true;
      continue;
    }
    if (fields.size() != 2) {
      throw_input_error(
          "expected 2 fields (ImageId,ClassIds), found " + std::to_string(fields.size()), where);
    }
    UnmaskedPhoto photo;
    photo.image_id = trim(fields[0]);
    photo.where = Location{paths.csv.string(), line, "ImageId " + photo.image_id};
    if (!plain_file_name(photo.image_id)) {
      throw_input_error("ImageId must be a file name in the photo folder", photo.where);
    }
    if (const auto [it, inserted] = seen.emplace(photo.image_id, line); !inserted) {
      throw_input_error("listed twice (first on line " + std::to_string(it->second) + ")",
                        photo.where);
    }
    for (const std::string& token : split_tokens(fields[1])) {
      const std::optional<int> id = vocabulary.find(token);
      if (!id) {
        throw_input_error("unknown category '" + token + "'", photo.where,
                          "use the category ids or names of the taxonomy "
                          "(label_descriptions.json)");
      }
      photo.category_ids.push_back(*id);
    }
    std::sort(photo.category_ids.begin(), photo.category_ids.end());
    photo.category_ids.erase(std::unique(photo.category_ids.begin(), photo.category_ids.end()),
                             photo.category_ids.end());
    photo.image = photo_dir / photo.image_id;
    if (!fs::is_regular_file(photo.image) && !fs::path(photo.image_id).has_extension() &&
        fs::is_regular_file(photo.image.string() + ".jpg")) {
      photo.image += ".jpg";
    }
    if (!fs::is_regular_file(photo.image)) {
      throw Error(ErrorKind::kNotFound, "photo " + photo.image.string() + " is missing",
                  photo.where);
    }
    source.photos.push_back(std::move(photo));
  }
  if (!header) throw_input_error("empty tag file", Location{paths.csv.string(), 1, ""});
  return source;
}

UnmaskedSource list_unlabelled_photos(const fs::path& folder) {
  if (!fs::is_directory(folder)) {
    throw Error(ErrorKind::kNotFound, "photo folder not found", Location{folder.string(), 0, ""});
  }
  UnmaskedSource source;
  source.kind = UnmaskedSource::Kind::kUnlabelled;
  source.origin = fs::absolute(folder).lexically_normal();
  std::vector<fs::path> photos;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_regular_file() && is_photo_file(entry.path())) photos.push_back(entry.path());
  }
  std::sort(photos.begin(), photos.end());
  if (photos.empty()) {
    throw Error(ErrorKind::kNotFound, "no photos in the folder", Location{folder.string(), 0, ""});
  }
  for (const fs::path& path : photos) {
    UnmaskedPhoto photo;
    photo.image_id = path.filename().string();
    photo.image = fs::absolute(path).lexically_normal();
    photo.where = Location{photo.image.string(), 0, "image " + photo.image_id};
    source.photos.push_back(std::move(photo));
  }
  return source;
}

}  // namespace fashionseg
