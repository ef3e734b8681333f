#pragma once
/// A model's category lists held against what photos are known to show (their image-level
/// tags): which tagged categories it found, which it missed, which it added. predict --tags
/// prints it per photo and as one summary line (the bundled demo compares with
/// samples/tags.csv).

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "fashionseg/data/found_categories.h"

namespace fashionseg {

/// The tags of photos, as label values of one model.
struct PhotoTags {
  /// Per photo file name (ImageId), its tagged categories as the model's label values.
  std::map<std::string, std::vector<int>> by_image;
  /// Tagged categories that the model does not predict (not among its class names), by name;
  /// each is left out of its photo's tags.
  std::vector<std::string> outside_model;
};

/// Reads an image-level tag CSV (`ImageId,ClassIds`, docs/formats.md: iMaterialist category
/// ids or names, space- or ';'-separated) and maps each category to the label value whose
/// class name is the category's name in `class_names`. Throws Error(kInput) naming the file
/// and line for a wrong header, a malformed record, an ImageId listed twice or an unknown
/// category; Error(kNotFound) when the file is missing.
PhotoTags read_photo_tags(const std::filesystem::path& csv,
                          const std::vector<std::string>& class_names);

/// One photo's listed categories against its tags (label values, ascending in each list).
struct TagComparison {
  std::vector<int> found;   ///< listed and tagged
  std::vector<int> missed;  ///< tagged, not listed
  std::vector<int> added;   ///< listed, not tagged
};

/// Compares `listed` with `tags` (label values; background and duplicates ignored).
TagComparison compare_with_tags(const std::vector<FoundCategory>& listed,
                                const std::vector<int>& tags);

/// "  tags: found 2: shirt, blouse / shoe | missed 1: belt | added 1: coat" (parts without
/// categories are left out; "  tags: none, nothing listed" for an empty comparison).
std::string comparison_line(const TagComparison& comparison,
                            const std::vector<std::string>& class_names);

/// Totals over photos, for the summary line.
struct TagTotals {
  int photos = 0;
  int found = 0, missed = 0, added = 0;
  void add(const TagComparison& comparison);
};

/// "tags of 8 photos: found 30 of 41 tagged categories (recall 0.73), 6 listed categories
/// not tagged (precision 0.83)".
std::string totals_line(const TagTotals& totals);

}  // namespace fashionseg
