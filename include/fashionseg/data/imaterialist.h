#pragma once
/// iMaterialist (Fashion) 2019 and 2020 readers: label_descriptions.json and train.csv.
///  2019: ImageId,EncodedPixels,Height,Width,ClassId   ClassId "6" or "6_28_77" (category,
///        then attribute ids)
///  2020: ImageId,EncodedPixels,Height,Width,ClassId,AttributesIds   ClassId plain, attributes
///        comma-separated (quoted), possibly empty
/// The CSV is never held in memory: one pass records each photo's row offsets, and load()
/// reads one photo's rows by offset.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fashionseg/data/annotations.h"
#include "fashionseg/data/image_io.h"

namespace fashionseg {

/// The 46 iMaterialist (Fashion) 2019 categories (ids 0..45) with their supercategories, as
/// label_descriptions.json lists them (2020 uses the same ids and names).
const std::vector<Category>& imaterialist_categories();

/// Reads label_descriptions.json (categories and attributes with id, name, supercategory).
/// Throws Error(kInput) for malformed JSON, missing fields or duplicate ids.
Taxonomy read_label_descriptions(const std::filesystem::path& path);

/// Which train.csv layout a file has.
enum class ImaterialistEdition { k2019, k2020 };

/// Where the parts of an iMaterialist dataset live.
struct ImaterialistPaths {
  std::filesystem::path csv;                 ///< train.csv
  std::filesystem::path label_descriptions;  ///< label_descriptions.json
  std::filesystem::path images;              ///< folder with the photos (ImageId[.jpg])
  /// The standard layout of a dataset folder: train.csv, label_descriptions.json, train/.
  static ImaterialistPaths in_folder(const std::filesystem::path& dir);
};

/// Options of the iMaterialist reader.
struct ImaterialistOptions {
  /// Compare each photo's Height/Width with its file header (a cheap header read).
  bool check_image_sizes = true;
  /// Also list photos of the image folder that have no row in train.csv, as all-background
  /// photos (sorted by name, after the listed ones).
  bool include_unlisted_images = true;
  /// Photos larger than this (declared Height x Width, or the file's header for photos
  /// without rows) are refused before their mask is allocated.
  int64_t max_pixels = kDefaultMaxPixels;
};

/// Opens an iMaterialist dataset: reads the taxonomy, detects the edition from the CSV header
/// and indexes the rows per photo in one streaming pass. Throws Error naming file and line
/// for an unknown header or a bad record. load() validates each row (file, line, ImageId in
/// every error), checks that the photo exists and that its size matches the rows.
std::unique_ptr<DatasetSource> open_imaterialist(const ImaterialistPaths& paths,
                                                 ImaterialistOptions options = {});

/// The edition of an opened iMaterialist source (the source must come from
/// open_imaterialist).
ImaterialistEdition imaterialist_edition(const DatasetSource& source);

}  // namespace fashionseg
