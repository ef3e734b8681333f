#pragma once
/// Label spaces: which mask value each source category gets. Mask value 0 is background,
/// 255 is ignore (not trained on, not scored). Every mapping is explicit and validated.
///  - `all`:  category id k -> k+1 (iMaterialist: 46 categories -> values 1..46, 47 classes)
///  - `main`: the 27 main garments and accessories (ids 0..26) -> k+1; garment parts,
///            closures and decorations (27..45) -> background, or -> 255 with parts_to_ignore
///  - a merge file (YAML or JSON, see docs/formats.md): named classes built from category
///    names/ids and supercategories; unlisted categories -> background.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "fashionseg/data/annotations.h"

namespace fashionseg {

/// Mask value meaning "not labelled, do not train or score".
constexpr uint8_t kIgnoreValue = 255;

/// A mapping from source category ids to mask values, with the class names of the values.
class LabelSpace {
 public:
  /// `class_names[v]` names mask value v (index 0 = "background"); `mapping` sends category
  /// ids to values < class_names.size() or kIgnoreValue. Throws Error(kInternal) otherwise.
  LabelSpace(std::string name, std::vector<std::string> class_names,
             std::map<int, uint8_t> mapping);

  /// e.g. "all", "main", "main-parts-ignored" or the merge file's name.
  const std::string& name() const { return name_; }
  /// Class names by mask value; index 0 = "background".
  const std::vector<std::string>& class_names() const { return class_names_; }
  /// Number of classes (including background).
  size_t class_count() const { return class_names_.size(); }
  /// The mask value of a category. Throws Error(kInput) at `where` for an unmapped id.
  uint8_t value_of(int category_id, const Location& where = {}) const;
  /// All category -> value pairs.
  const std::map<int, uint8_t>& mapping() const { return mapping_; }

 private:
  std::string name_;
  std::vector<std::string> class_names_;
  std::map<int, uint8_t> mapping_;
};

/// `all`: category id k -> k+1. Needs ids 0..n-1 with n <= 254; Error(kConfig) otherwise.
LabelSpace make_all_label_space(const Taxonomy& taxonomy);

/// `main`: ids 0..26 -> k+1, ids 27..45 -> background (or kIgnoreValue when parts_to_ignore).
/// Needs the 46 iMaterialist categories (ids 0..45); Error(kConfig) otherwise.
LabelSpace make_main_label_space(const Taxonomy& taxonomy, bool parts_to_ignore);

/// Reads a merge map (YAML or JSON). Unknown keys, category names/ids or supercategories, a
/// category listed twice and more than 254 classes are Error(kConfig) naming file and line.
LabelSpace read_label_space_file(const std::filesystem::path& path, const Taxonomy& taxonomy);

/// A label space whose categories are already the mask values (image + mask folders).
LabelSpace make_identity_label_space(const std::vector<std::string>& class_names);

/// "all", "main" or a path to a merge file. Error(kConfig) listing the choices otherwise.
LabelSpace make_label_space(const std::string& spec, const Taxonomy& taxonomy,
                            bool parts_to_ignore);

}  // namespace fashionseg
