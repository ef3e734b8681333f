#include "fashionseg/data/dataset_index.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include "fashionseg/core/error.h"
#include "fashionseg/core/files.h"
#include "fashionseg/data/csv.h"

namespace fashionseg {
namespace fs = std::filesystem;

const char* supervision_name(Supervision supervision) {
  switch (supervision) {
    case Supervision::kMask:
      return "mask";
    case Supervision::kTags:
      return "tags";
    case Supervision::kNone:
      return "none";
  }
  return "mask";
}

std::vector<DatasetEntry> with_supervision(const std::vector<DatasetEntry>& entries,
                                           Supervision supervision) {
  std::vector<DatasetEntry> kept;
  for (const DatasetEntry& entry : entries) {
    if (entry.supervision == supervision) kept.push_back(entry);
  }
  return kept;
}

const std::vector<DatasetEntry>& PreparedDataset::split(const std::string& name) const {
  if (name == "train") return train;
  if (name == "val") return val;
  throw_config_error("unknown split '" + name + "'", "use train or val");
}

namespace {

// "3 8 24": class values, each a tag of the label space (not background, not ignore).
std::vector<int> parse_tags(const std::string& text, const PreparedDataset& dataset,
                            const Location& at) {
  std::vector<int> tags;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find(' ', begin);
    if (end == std::string::npos) end = text.size();
    if (end > begin) {
      int value = 0;
      const auto result = std::from_chars(text.data() + begin, text.data() + end, value);
      if (result.ec != std::errc() || result.ptr != text.data() + end || value <= 0 ||
          value >= static_cast<int>(dataset.class_names.size())) {
        throw_input_error("tag '" + text.substr(begin, end - begin) +
                              "' is not a class value in [1, " +
                              std::to_string(dataset.class_names.size() - 1) + "]",
                          at);
      }
      tags.push_back(value);
    }
    begin = end + 1;
  }
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  return tags;
}

}  // namespace

PreparedDataset read_prepared_dataset(const fs::path& dir) {
  PreparedDataset dataset;
  dataset.dir = fs::absolute(dir).lexically_normal();
  const fs::path classes_path = dir / "classes.json";
  const fs::path index_path = dir / "index.csv";
  for (const fs::path& needed : {classes_path, index_path}) {
    if (!fs::is_regular_file(needed)) {
      throw Error(ErrorKind::kNotFound,
                  "not a prepared dataset: missing " + needed.filename().string(),
                  Location{dir.string(), 0, ""}, "run `fashionseg prepare` first");
    }
  }
  try {
    const auto json = nlohmann::json::parse(read_file(classes_path));
    dataset.label_space = json.at("label_space").get<std::string>();
    dataset.class_names = json.at("classes").get<std::vector<std::string>>();
    if (json.contains("ignore_value")) dataset.ignore_value = json["ignore_value"].get<int>();
  } catch (const nlohmann::json::exception& e) {
    throw_input_error(std::string("malformed classes.json: ") + e.what(),
                      Location{classes_path.string(), 0, ""});
  }
  const std::string text = read_file(index_path);
  size_t begin = 0, line = 0;
  std::unordered_map<std::string, size_t> column;
  const char* required[] = {"image_id", "image", "mask", "split", "width", "height"};
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    const std::string_view record(text.data() + begin, end - begin);
    begin = end + 1;
    ++line;
    if (record.empty() || record == "\r") continue;
    const Location where{index_path.string(), line, ""};
    auto fields = parse_csv_record(record, where);
    if (column.empty()) {
      for (size_t k = 0; k < fields.size(); ++k) column[fields[k]] = k;
      for (const char* name : required) {
        if (!column.count(name))
          throw_input_error(std::string("index.csv lacks column '") + name + "'", where);
      }
      continue;
    }
    if (fields.size() != column.size()) {
      throw_input_error("expected " + std::to_string(column.size()) + " fields, found " +
                            std::to_string(fields.size()),
                        where);
    }
    DatasetEntry entry;
    entry.image_id = fields[column["image_id"]];
    const Location at{index_path.string(), line, "ImageId " + entry.image_id};
    auto resolve = [&](const std::string& path) {
      const fs::path p(path);
      return p.is_absolute() ? p : (dataset.dir / p).lexically_normal();
    };
    entry.image = resolve(fields[column["image"]]);
    entry.split = fields[column["split"]];
    if (column.count("supervision")) {
      const std::string& kind = fields[column["supervision"]];
      if (kind == "mask") {
        entry.supervision = Supervision::kMask;
      } else if (kind == "tags") {
        entry.supervision = Supervision::kTags;
      } else if (kind == "none") {
        entry.supervision = Supervision::kNone;
      } else {
        throw_input_error("supervision '" + kind + "' is not mask, tags or none", at);
      }
    }
    const std::string& mask = fields[column["mask"]];
    if (entry.has_mask() != !mask.empty()) {
      throw_input_error(entry.has_mask() ? "a masked photo needs a mask path"
                                         : "only masked photos have a mask path",
                        at);
    }
    if (!mask.empty()) entry.mask = resolve(mask);
    if (column.count("tags")) entry.tags = parse_tags(fields[column["tags"]], dataset, at);
    if (!entry.tags.empty() && !entry.has_tags()) {
      throw_input_error("only photos with supervision 'tags' list tags", at);
    }
    if (column.count("source")) entry.source = fields[column["source"]];
    auto parse_positive = [&](const std::string& name) {
      const std::string& value = fields[column[name]];
      int number = 0;
      const auto result = std::from_chars(value.data(), value.data() + value.size(), number);
      if (result.ec != std::errc() || result.ptr != value.data() + value.size() || number <= 0) {
        throw_input_error(name + " '" + value + "' is not a positive integer", at);
      }
      return number;
    };
    entry.width = parse_positive("width");
    entry.height = parse_positive("height");
    if (entry.split == "train") {
      dataset.train.push_back(std::move(entry));
    } else if (entry.split == "val") {
      dataset.val.push_back(std::move(entry));
    } else {
      throw_input_error("split '" + entry.split + "' is neither train nor val", at);
    }
  }
  if (column.empty()) throw_input_error("index.csv is empty", Location{index_path.string(), 1, ""});
  return dataset;
}

}  // namespace fashionseg
