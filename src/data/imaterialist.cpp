#include "fashionseg/data/imaterialist.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <set>
#include <unordered_map>

#include "fashionseg/core/files.h"
#include "fashionseg/data/csv.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/data/json_text.h"

namespace fashionseg {
namespace fs = std::filesystem;
namespace {

bool parse_int(std::string_view text, int& value) {
  if (text.empty()) return false;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

template <typename Item>
std::vector<Item> read_entries(const nlohmann::json& json, const char* key,
                               const std::string& file) {
  std::vector<Item> items;
  if (!json.contains(key)) return items;
  if (!json[key].is_array())
    throw_input_error(std::string("'") + key + "' is not a list", {file, 0, ""});
  std::set<int> seen;
  for (size_t i = 0; i < json[key].size(); ++i) {
    const auto& entry = json[key][i];
    const Location where{file, 0, std::string(key) + "[" + std::to_string(i) + "]"};
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_number_integer() ||
        !entry.contains("name") || !entry["name"].is_string()) {
      throw_input_error("needs an integer 'id' and a string 'name'", where);
    }
    Item item;
    item.id = static_cast<int>(json_integer(entry["id"], 0, INT32_MAX, "id", where));
    item.name = entry["name"].get<std::string>();
    if (entry.contains("supercategory") && entry["supercategory"].is_string()) {
      item.supercategory = entry["supercategory"].get<std::string>();
    }
    if (!seen.insert(item.id).second)
      throw_input_error("duplicate id " + std::to_string(item.id), where);
    items.push_back(std::move(item));
  }
  return items;
}

struct PhotoRows {
  std::string image_id;
  std::vector<CsvRecordRef> rows;
};

class ImaterialistSource final : public DatasetSource {
 public:
  ImaterialistSource(ImaterialistPaths paths, ImaterialistOptions options)
      : paths_(std::move(paths)), options_(options) {
    taxonomy_ = read_label_descriptions(paths_.label_descriptions);
    csv_name_ = paths_.csv.string();
    std::unordered_map<std::string, size_t> index_of;
    bool header_seen = false;
    scan_csv_records(paths_.csv, [&](const CsvRecordRef& ref, std::string_view first_field) {
      if (!header_seen) {
        read_header(read_csv_record(paths_.csv, ref), ref.line);
        header_seen = true;
        return;
      }
      if (first_field.empty()) {
        throw_input_error("empty ImageId", Location{csv_name_, ref.line, ""});
      }
      auto [it, inserted] = index_of.try_emplace(std::string(first_field), photos_.size());
      if (inserted) photos_.push_back(PhotoRows{std::string(first_field), {}});
      photos_[it->second].rows.push_back(ref);
    });
    if (!header_seen) throw_input_error("empty CSV (no header)", Location{csv_name_, 1, ""});
    if (options_.include_unlisted_images) add_unlisted_images(index_of);
  }

  std::string description() const override {
    return std::string("iMaterialist ") +
           (edition_ == ImaterialistEdition::k2019 ? "2019" : "2020") + " " + csv_name_;
  }
  const Taxonomy& taxonomy() const override { return taxonomy_; }
  size_t photo_count() const override { return photos_.size(); }
  const std::string& image_id(size_t i) const override { return photos_.at(i).image_id; }
  ImaterialistEdition edition() const { return edition_; }

  PhotoAnnotations load(size_t i) const override {
    const PhotoRows& photo = photos_.at(i);
    PhotoAnnotations result;
    result.image_id = photo.image_id;
    const std::string item = "ImageId " + photo.image_id;
    for (const CsvRecordRef& ref : photo.rows) {
      const Location where{csv_name_, ref.line, item};
      const auto fields = parse_csv_record(read_csv_record(paths_.csv, ref), where);
      if (fields.size() != column_count_) {
        throw_input_error("expected " + std::to_string(column_count_) + " fields, found " +
                              std::to_string(fields.size()),
                          where);
      }
      int height = 0, width = 0;
      if (!parse_int(fields[height_column_], height) || height <= 0) {
        throw_input_error("Height '" + fields[height_column_] + "' is not a positive integer",
                          where);
      }
      if (!parse_int(fields[width_column_], width) || width <= 0) {
        throw_input_error("Width '" + fields[width_column_] + "' is not a positive integer", where);
      }
      if (result.instances.empty()) {
        check_pixel_limit({width, height}, options_.max_pixels, where);
        result.height = height;
        result.width = width;
      } else if (height != result.height || width != result.width) {
        throw_input_error("size " + std::to_string(width) + "x" + std::to_string(height) +
                              " differs from the photo's earlier rows (" +
                              std::to_string(result.width) + "x" + std::to_string(result.height) +
                              ")",
                          where);
      }
      Instance instance;
      instance.where = where;
      parse_class(fields, where, instance);
      instance.runs = parse_kaggle_rle(fields[pixels_column_], height, width, where);
      result.instances.push_back(std::move(instance));
    }
    result.image_path = find_image(photo);
    if (photo.rows.empty()) {
      // A photo without rows: all background, its size from the file.
      const ImageSize size = read_image_size(result.image_path);
      check_pixel_limit(size, options_.max_pixels, {result.image_path.string(), 0, item});
      result.width = size.width;
      result.height = size.height;
    } else if (options_.check_image_sizes) {
      const ImageSize size = read_image_size(result.image_path);
      if (size.width != result.width || size.height != result.height) {
        throw_input_error("Height/Width " + std::to_string(result.height) + "/" +
                              std::to_string(result.width) + " disagree with the image " +
                              result.image_path.string() + " (" + std::to_string(size.height) +
                              "/" + std::to_string(size.width) + ")",
                          Location{csv_name_, photo.rows.front().line, item});
      }
    }
    return result;
  }

 private:
  void read_header(const std::string& record, uint32_t line) {
    const Location where{csv_name_, line, ""};
    auto fields = parse_csv_record(record, where);
    if (!fields.empty() && fields[0].rfind("\xEF\xBB\xBF", 0) == 0) fields[0].erase(0, 3);  // BOM
    const std::vector<std::string> v2019 = {"ImageId", "EncodedPixels", "Height", "Width",
                                            "ClassId"};
    std::vector<std::string> v2020 = v2019;
    v2020.push_back("AttributesIds");
    std::unordered_map<std::string, size_t> column;
    for (size_t k = 0; k < fields.size(); ++k) column[fields[k]] = k;
    auto has_all = [&](const std::vector<std::string>& names) {
      if (names.size() != fields.size()) return false;
      for (const auto& name : names) {
        if (!column.count(name)) return false;
      }
      return true;
    };
    if (has_all(v2020)) {
      edition_ = ImaterialistEdition::k2020;
      attributes_column_ = column["AttributesIds"];
    } else if (has_all(v2019)) {
      edition_ = ImaterialistEdition::k2019;
    } else {
      throw_input_error("unknown train.csv header '" + record + "'", where,
                        "expected ImageId,EncodedPixels,Height,Width,ClassId[,AttributesIds]");
    }
    // The rows are indexed by their first field before they are parsed.
    if (column["ImageId"] != 0) {
      throw_input_error("ImageId is column " + std::to_string(column["ImageId"] + 1) +
                            " of the header '" + record + "'; it must be the first",
                        where,
                        "expected ImageId,EncodedPixels,Height,Width,ClassId[,AttributesIds]");
    }
    column_count_ = fields.size();
    pixels_column_ = column["EncodedPixels"];
    height_column_ = column["Height"];
    width_column_ = column["Width"];
    class_column_ = column["ClassId"];
  }

  void check_attribute(int id, const Location& where) const {
    if (!taxonomy_.attributes.empty() && !taxonomy_.find_attribute(id)) {
      throw_input_error("unknown attribute id " + std::to_string(id) + " (not in " +
                            paths_.label_descriptions.string() + ")",
                        where);
    }
  }

  void parse_class(const std::vector<std::string>& fields, const Location& where,
                   Instance& instance) const {
    const std::string& text = fields[class_column_];
    std::vector<std::string_view> parts;
    if (edition_ == ImaterialistEdition::k2019) {
      std::string_view rest = text;
      while (true) {
        const size_t cut = rest.find('_');
        parts.push_back(rest.substr(0, cut));
        if (cut == std::string_view::npos) break;
        rest.remove_prefix(cut + 1);
      }
    } else {
      parts.push_back(text);
    }
    if (!parse_int(parts[0], instance.category_id)) {
      throw_input_error("ClassId '" + text + "' is not " +
                            (edition_ == ImaterialistEdition::k2019 ? "'category[_attr...]'"
                                                                    : "an integer category id"),
                        where);
    }
    if (!taxonomy_.find_category(instance.category_id)) {
      throw_input_error("unknown category id " + std::to_string(instance.category_id) +
                            " in ClassId '" + text + "'",
                        where);
    }
    for (size_t k = 1; k < parts.size(); ++k) {
      int attribute = 0;
      if (!parse_int(parts[k], attribute)) {
        throw_input_error(
            "ClassId '" + text + "': attribute '" + std::string(parts[k]) + "' is not an integer",
            where);
      }
      check_attribute(attribute, where);
      instance.attribute_ids.push_back(attribute);
    }
    if (edition_ == ImaterialistEdition::k2020) {
      std::string_view rest = fields[attributes_column_];
      while (!rest.empty()) {
        const size_t cut = rest.find(',');
        std::string_view token = rest.substr(0, cut);
        while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
        while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
        int attribute = 0;
        if (!parse_int(token, attribute)) {
          throw_input_error("AttributesIds '" + fields[attributes_column_] + "': '" +
                                std::string(token) + "' is not an integer",
                            where);
        }
        check_attribute(attribute, where);
        instance.attribute_ids.push_back(attribute);
        if (cut == std::string_view::npos) break;
        rest.remove_prefix(cut + 1);
      }
    }
  }

  void add_unlisted_images(const std::unordered_map<std::string, size_t>& listed) {
    std::set<std::string> known;
    for (const auto& [id, index] : listed) {
      known.insert(id);
      known.insert(fs::path(id).stem().string());
    }
    std::vector<std::string> unlisted;
    if (!fs::is_directory(paths_.images)) return;  // load() reports the missing photos
    for (const auto& entry : fs::directory_iterator(paths_.images)) {
      if (!entry.is_regular_file()) continue;
      std::string extension = entry.path().extension().string();
      for (auto& c : extension) c = char(std::tolower(static_cast<unsigned char>(c)));
      if (extension != ".jpg" && extension != ".jpeg" && extension != ".png") continue;
      const std::string name = entry.path().filename().string();
      if (!known.count(name) && !known.count(entry.path().stem().string()))
        unlisted.push_back(name);
    }
    std::sort(unlisted.begin(), unlisted.end());
    for (auto& name : unlisted) photos_.push_back(PhotoRows{std::move(name), {}});
  }

  fs::path find_image(const PhotoRows& photo) const {
    check_photo_name(photo.image_id,
                     Location{csv_name_, photo.rows.empty() ? 0 : photo.rows.front().line,
                              "ImageId " + photo.image_id});
    fs::path path = paths_.images / photo.image_id;
    if (fs::is_regular_file(path)) return path;
    // 2020 ImageIds carry no extension.
    for (const char* extension : {".jpg", ".jpeg", ".png"}) {
      fs::path candidate = paths_.images / (photo.image_id + extension);
      if (fs::is_regular_file(candidate)) return candidate;
    }
    throw Error(ErrorKind::kNotFound, "image file " + path.string() + " is missing",
                Location{csv_name_, photo.rows.empty() ? 0 : photo.rows.front().line,
                         "ImageId " + photo.image_id},
                "every ImageId of train.csv needs its photo in " + paths_.images.string());
  }

  ImaterialistPaths paths_;
  ImaterialistOptions options_;
  Taxonomy taxonomy_;
  std::string csv_name_;
  ImaterialistEdition edition_ = ImaterialistEdition::k2019;
  size_t column_count_ = 0, pixels_column_ = 0, height_column_ = 0, width_column_ = 0,
         class_column_ = 0, attributes_column_ = 0;
  std::vector<PhotoRows> photos_;
};

}  // namespace

ImaterialistPaths ImaterialistPaths::in_folder(const fs::path& dir) {
  return {dir / "train.csv", dir / "label_descriptions.json", dir / "train"};
}

Taxonomy read_label_descriptions(const fs::path& path) {
  const std::string text = read_file(path);
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw_input_error(std::string("invalid JSON: ") + e.what(), Location{path.string(), 0, ""});
  }
  if (!json.is_object() || !json.contains("categories")) {
    throw_input_error("no 'categories' list", Location{path.string(), 0, ""});
  }
  Taxonomy taxonomy;
  taxonomy.categories = read_entries<Category>(json, "categories", path.string());
  taxonomy.attributes = read_entries<Attribute>(json, "attributes", path.string());
  if (taxonomy.categories.empty())
    throw_input_error("no categories", Location{path.string(), 0, ""});
  return taxonomy;
}

std::unique_ptr<DatasetSource> open_imaterialist(const ImaterialistPaths& paths,
                                                 ImaterialistOptions options) {
  return std::make_unique<ImaterialistSource>(paths, options);
}

ImaterialistEdition imaterialist_edition(const DatasetSource& source) {
  const auto* imat = dynamic_cast<const ImaterialistSource*>(&source);
  if (!imat) throw Error(ErrorKind::kInternal, "not an iMaterialist source");
  return imat->edition();
}

}  // namespace fashionseg
