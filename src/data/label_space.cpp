#include "fashionseg/data/label_space.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include "fashionseg/core/files.h"

namespace fashionseg {
namespace fs = std::filesystem;
namespace {

constexpr int kMainItemCount = 27;  // iMaterialist ids 0..26: garments and accessories
constexpr int kImatCategoryCount = 46;

[[noreturn]] void config_error_at(const fs::path& path, const YAML::Node& node,
                                  const std::string& message) {
  const size_t line = node.Mark().is_null() ? 0 : size_t(node.Mark().line + 1);
  throw Error(ErrorKind::kConfig, message, Location{path.string(), line, ""});
}

void require_imaterialist_ids(const Taxonomy& taxonomy, const char* space) {
  std::set<int> ids;
  for (const auto& category : taxonomy.categories) ids.insert(category.id);
  if (ids.size() != kImatCategoryCount || *ids.begin() != 0 ||
      *ids.rbegin() != kImatCategoryCount - 1) {
    throw_config_error(std::string("label space '") + space +
                           "' needs the 46 iMaterialist categories (ids 0..45); this dataset has " +
                           std::to_string(ids.size()) + " categories",
                       "use --label-space all or a merge file");
  }
}

}  // namespace

LabelSpace::LabelSpace(std::string name, std::vector<std::string> class_names,
                       std::map<int, uint8_t> mapping)
    : name_(std::move(name)), class_names_(std::move(class_names)), mapping_(std::move(mapping)) {
  if (class_names_.empty() || class_names_.size() > 255) {
    throw Error(ErrorKind::kInternal, "label space needs 1..255 classes");
  }
  for (const auto& [id, value] : mapping_) {
    if (value != kIgnoreValue && value >= class_names_.size()) {
      throw Error(ErrorKind::kInternal, "label space maps category " + std::to_string(id) +
                                            " to value " + std::to_string(value) +
                                            " without a class");
    }
  }
}

uint8_t LabelSpace::value_of(int category_id, const Location& where) const {
  const auto found = mapping_.find(category_id);
  if (found == mapping_.end()) {
    throw_input_error(
        "category id " + std::to_string(category_id) + " is not in label space '" + name_ + "'",
        where);
  }
  return found->second;
}

LabelSpace make_all_label_space(const Taxonomy& taxonomy) {
  const size_t n = taxonomy.categories.size();
  if (n == 0 || n > 254) throw_config_error("label space 'all' needs 1..254 categories");
  std::vector<std::string> names(n + 1);
  names[0] = "background";
  std::map<int, uint8_t> mapping;
  for (const auto& category : taxonomy.categories) {
    if (category.id < 0 || size_t(category.id) >= n) {
      throw_config_error("label space 'all' needs category ids 0.." + std::to_string(n - 1) +
                         "; found id " + std::to_string(category.id));
    }
    names[size_t(category.id) + 1] = category.name;
    mapping[category.id] = uint8_t(category.id + 1);
  }
  return LabelSpace("all", std::move(names), std::move(mapping));
}

LabelSpace make_main_label_space(const Taxonomy& taxonomy, bool parts_to_ignore) {
  require_imaterialist_ids(taxonomy, "main");
  std::vector<std::string> names(kMainItemCount + 1);
  names[0] = "background";
  std::map<int, uint8_t> mapping;
  for (const auto& category : taxonomy.categories) {
    if (category.id < kMainItemCount) {
      names[size_t(category.id) + 1] = category.name;
      mapping[category.id] = uint8_t(category.id + 1);
    } else {
      mapping[category.id] = parts_to_ignore ? kIgnoreValue : 0;
    }
  }
  return LabelSpace(parts_to_ignore ? "main-parts-ignored" : "main", std::move(names),
                    std::move(mapping));
}

LabelSpace make_identity_label_space(const std::vector<std::string>& class_names) {
  std::map<int, uint8_t> mapping;
  for (size_t k = 0; k < class_names.size(); ++k) mapping[int(k)] = uint8_t(k);
  mapping[kIgnoreValue] = kIgnoreValue;
  return LabelSpace("folder-classes", class_names, std::move(mapping));
}

LabelSpace read_label_space_file(const fs::path& path, const Taxonomy& taxonomy) {
  const std::string text = read_file(path);
  YAML::Node root;
  try {
    root = YAML::Load(text);  // JSON is read by the YAML parser too
  } catch (const YAML::Exception& e) {
    throw Error(ErrorKind::kConfig, "cannot parse: " + e.msg,
                Location{path.string(), size_t(e.mark.line + 1), ""});
  }
  if (!root.IsMap())
    config_error_at(path, root, "a label space file is a map with 'name' and 'classes'");
  for (const auto& entry : root) {
    const std::string key = entry.first.as<std::string>();
    if (key != "name" && key != "classes" && key != "ignore") {
      config_error_at(path, entry.first,
                      "unknown key '" + key + "' (allowed: name, classes, ignore)");
    }
  }
  if (!root["name"] || !root["name"].IsScalar()) config_error_at(path, root, "missing 'name'");
  if (!root["classes"] || !root["classes"].IsSequence()) {
    config_error_at(path, root,
                    "missing 'classes' (a list of {name, categories, supercategories})");
  }

  std::map<int, uint8_t> mapping;
  std::map<int, std::string> assigned_to;
  // Resolves one selector list entry into category ids.
  auto resolve = [&](const YAML::Node& group, const std::string& owner, uint8_t value) {
    for (const auto& entry : group) {
      const std::string key = entry.first.as<std::string>();
      if (key == "name") continue;
      if (key != "categories" && key != "supercategories") {
        config_error_at(path, entry.first,
                        "unknown key '" + key + "' in '" + owner +
                            "' (allowed: name, categories, supercategories)");
      }
      if (!entry.second.IsSequence())
        config_error_at(path, entry.second, "'" + key + "' must be a list");
      for (const auto& selector : entry.second) {
        std::vector<int> ids;
        const std::string text = selector.as<std::string>();
        if (key == "categories") {
          const Category* category = taxonomy.find_category(text);
          if (!category) {
            try {
              size_t used = 0;
              const int id = std::stoi(text, &used);
              if (used == text.size()) category = taxonomy.find_category(id);
            } catch (const std::exception&) {
            }
          }
          if (!category) config_error_at(path, selector, "unknown category '" + text + "'");
          ids.push_back(category->id);
        } else {
          for (const auto& category : taxonomy.categories) {
            if (category.supercategory == text) ids.push_back(category.id);
          }
          if (ids.empty()) config_error_at(path, selector, "unknown supercategory '" + text + "'");
        }
        for (int id : ids) {
          const auto [it, inserted] = assigned_to.emplace(id, owner);
          if (!inserted) {
            config_error_at(path, selector,
                            "category '" + taxonomy.find_category(id)->name +
                                "' is listed twice ('" + it->second + "' and '" + owner + "')");
          }
          mapping[id] = value;
        }
      }
    }
  };

  std::vector<std::string> names = {"background"};
  for (const auto& group : root["classes"]) {
    if (!group.IsMap() || !group["name"] || !group["name"].IsScalar()) {
      config_error_at(path, group, "each class needs a 'name'");
    }
    const std::string name = group["name"].as<std::string>();
    for (const auto& existing : names) {
      if (existing == name) config_error_at(path, group, "class '" + name + "' is defined twice");
    }
    if (names.size() >= 255) config_error_at(path, group, "more than 254 classes");
    const uint8_t value = uint8_t(names.size());
    names.push_back(name);
    resolve(group, name, value);
  }
  if (root["ignore"]) {
    if (!root["ignore"].IsMap())
      config_error_at(path, root["ignore"], "'ignore' must be a map of categories/supercategories");
    resolve(root["ignore"], "ignore", kIgnoreValue);
  }
  for (const auto& category : taxonomy.categories) mapping.emplace(category.id, 0);  // unlisted
  return LabelSpace(root["name"].as<std::string>(), std::move(names), std::move(mapping));
}

LabelSpace make_label_space(const std::string& spec, const Taxonomy& taxonomy,
                            bool parts_to_ignore) {
  if (spec == "all") {
    if (parts_to_ignore) throw_config_error("--parts-ignore only applies to --label-space main");
    return make_all_label_space(taxonomy);
  }
  if (spec == "main") return make_main_label_space(taxonomy, parts_to_ignore);
  if (fs::is_regular_file(spec)) {
    if (parts_to_ignore) {
      throw_config_error("--parts-ignore only applies to --label-space main",
                         "list the parts under 'ignore' in the merge file");
    }
    return read_label_space_file(spec, taxonomy);
  }
  throw_config_error("unknown label space '" + spec + "'",
                     "use 'all', 'main' or the path of a YAML/JSON merge file");
}

}  // namespace fashionseg
