#pragma once
/// Photos without pixel masks, as `prepare` takes them besides a masked source:
///  - image-level tags: a CSV `ImageId,ClassIds` (docs/formats.md) with its photo folder;
///    ClassIds lists category ids or names of the taxonomy, space-separated (or
///    ';'-separated, so that names with spaces can be written);
///  - unlabelled photos: a plain folder of photos.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fashionseg/data/annotations.h"

namespace fashionseg {

/// One photo without a mask.
struct UnmaskedPhoto {
  std::string image_id;           ///< the file name, e.g. "ccp_1005.jpg"
  std::filesystem::path image;    ///< absolute path of the photo
  std::vector<int> category_ids;  ///< source category ids, ascending, unique (tags only)
  Location where;                 ///< the CSV line (tags) or the photo (folders)
};

/// A tag file or a photo folder, read and checked.
struct UnmaskedSource {
  enum class Kind { kTags, kUnlabelled };
  Kind kind = Kind::kTags;
  std::filesystem::path origin;  ///< the CSV (tags) or the folder (unlabelled), absolute
  std::vector<UnmaskedPhoto> photos;
  /// "tags <csv>" or "photos <folder>": names the source in index.csv and logs.
  std::string description() const;
};

/// Resolves the category tokens of a tag file against a taxonomy: an integer is a category
/// id; anything else a name, compared case-insensitively with the whole category name
/// ("shirt, blouse") or one of its comma-separated parts ("blouse"), '_' standing for a
/// space ("leg_warmer"). A part that two categories share resolves to neither.
class TagVocabulary {
 public:
  explicit TagVocabulary(const Taxonomy& taxonomy);
  /// The category id of `token`, or nullopt when it names none (or more than one).
  std::optional<int> find(const std::string& token) const;

 private:
  const Taxonomy& taxonomy_;
  std::unordered_map<std::string, int> names_;  // -1 = ambiguous
};

/// Where a tag source given as one path lives: a folder holding tags.csv and photos/, or a
/// CSV file whose photos are in photos/ beside it (or, lacking that, in its own folder).
/// `photos` overrides the photo folder when not empty.
struct TagPaths {
  std::filesystem::path csv;
  std::filesystem::path photos;
  static TagPaths resolve(const std::filesystem::path& given,
                          const std::filesystem::path& photos = {});
};

/// Reads a tag file. Throws Error naming the file and line for a missing or wrong header, a
/// malformed record, an ImageId that is not a plain file name or is listed twice, an
/// unknown category id or name, and a photo missing from the photo folder (ImageId, or
/// ImageId + ".jpg" when it has no extension). An empty ClassIds field is a photo with none
/// of the categories.
UnmaskedSource read_tag_file(const TagPaths& paths, const Taxonomy& taxonomy);

/// Lists the photos of a folder (not recursive; jpg, jpeg, png, ...), sorted by name.
/// Throws Error(kNotFound) when the folder is missing or holds no photo.
UnmaskedSource list_unlabelled_photos(const std::filesystem::path& folder);

}  // namespace fashionseg
