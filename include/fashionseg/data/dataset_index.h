#pragma once
/// Reading a prepared dataset folder (written by `fashionseg prepare`, docs/formats.md).

#include <filesystem>
#include <string>
#include <vector>

namespace fashionseg {

/// What a photo of a prepared dataset is labelled with (index.csv column `supervision`).
enum class Supervision {
  kMask,  ///< a pixel mask ("mask")
  kTags,  ///< image-level tags only ("tags")
  kNone,  ///< nothing ("none"): an unlabelled photo
};

/// "mask", "tags" or "none".
const char* supervision_name(Supervision supervision);

/// One photo of a prepared dataset. Paths are absolute (relative ones in index.csv are
/// resolved against the dataset folder).
struct DatasetEntry {
  std::string image_id;
  std::filesystem::path image;
  std::filesystem::path mask;  ///< empty unless supervision is kMask
  int width = 0;               ///< pixels, EXIF orientation applied
  int height = 0;
  std::string split;  ///< "train" or "val"
  Supervision supervision = Supervision::kMask;
  /// kTags: the tagged classes as label-space values (mask values), ascending; never 0
  /// (background) nor 255. Empty for the other kinds (and for a photo tagged with nothing).
  std::vector<int> tags;
  /// The source the photo came from (e.g. "iMaterialist 2019 train.csv", "tags <csv>",
  /// "photos <folder>"); empty in datasets prepared before sources were recorded.
  std::string source;
  bool has_mask() const { return supervision == Supervision::kMask; }
  bool has_tags() const { return supervision == Supervision::kTags; }
};

/// The entries of `entries` with this supervision, in order.
std::vector<DatasetEntry> with_supervision(const std::vector<DatasetEntry>& entries,
                                           Supervision supervision);

/// A prepared dataset: its classes and photos per split, in index.csv order.
struct PreparedDataset {
  std::filesystem::path dir;
  std::string label_space;
  std::vector<std::string> class_names;  ///< index = mask value; [0] = "background"
  int ignore_value = 255;
  std::vector<DatasetEntry> train;
  std::vector<DatasetEntry> val;
  /// "train" or "val"; Error(kConfig) for another name.
  const std::vector<DatasetEntry>& split(const std::string& name) const;
};

/// Reads classes.json and index.csv of a prepared folder. Throws Error(kNotFound) when they
/// are missing (hint: run `fashionseg prepare`), Error(kInput) naming file, line and ImageId
/// for a malformed row (an unknown supervision, a mask path that does not fit it, a tag
/// outside the classes). An index without the columns supervision, tags and source (prepared
/// before they existed) reads as masked photos.
PreparedDataset read_prepared_dataset(const std::filesystem::path& dir);

}  // namespace fashionseg
