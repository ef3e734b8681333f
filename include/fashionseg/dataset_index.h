#pragma once
/// Reading a prepared dataset folder (written by `fashionseg prepare`, docs/formats.md).

#include <filesystem>
#include <string>
#include <vector>

namespace fashionseg {

/// One photo of a prepared dataset. Paths are absolute (relative ones in index.csv are
/// resolved against the dataset folder).
struct DatasetEntry {
  std::string image_id;
  std::filesystem::path image;
  std::filesystem::path mask;
  int width = 0;
  int height = 0;
  std::string split;  ///< "train" or "val"
};

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
/// for a malformed row.
PreparedDataset read_prepared_dataset(const std::filesystem::path& dir);

}  // namespace fashionseg
