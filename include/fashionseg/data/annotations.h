#pragma once
/// The common model of annotated photos that every reader produces (iMaterialist CSV, COCO /
/// Fashionpedia JSON, image + mask folders) and `prepare` consumes, one photo at a time.

#include <opencv2/core.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fashionseg/core/error.h"
#include "fashionseg/data/rle.h"

namespace fashionseg {

/// A category of the source taxonomy (iMaterialist: ids 0..45).
struct Category {
  int id = 0;
  std::string name;
  std::string supercategory;
};

/// A fine-grained attribute (iMaterialist 2019: 92, 2020: 294 with ids up to 340).
struct Attribute {
  int id = 0;
  std::string name;
  std::string supercategory;
};

/// Categories and attributes of a dataset, in file order.
struct Taxonomy {
  std::vector<Category> categories;
  std::vector<Attribute> attributes;
  /// The category with this id, or nullptr.
  const Category* find_category(int id) const;
  /// The category with this exact name, or nullptr.
  const Category* find_category(const std::string& name) const;
  /// The attribute with this id, or nullptr.
  const Attribute* find_attribute(int id) const;
};

/// One annotated instance: a category, its attributes and its pixels.
struct Instance {
  int category_id = 0;
  std::vector<int> attribute_ids;
  std::vector<RleRun> runs;  ///< foreground pixels, 0-based column-major
  bool crowd = false;        ///< COCO iscrowd
  Location where;            ///< where it was read (file, line, ImageId) for errors
  size_t area() const { return run_area(runs); }
};

/// Everything known about one photo.
struct PhotoAnnotations {
  std::string image_id;              ///< e.g. "00a1.jpg" (iMaterialist) or a file name
  std::filesystem::path image_path;  ///< the photo on disk
  int width = 0;                     ///< pixels, as declared by the annotations
  int height = 0;
  std::vector<Instance> instances;  ///< in file order
  /// Set by mask-folder sources instead of instances: a ready semantic mask (CV_8UC1) whose
  /// values are already class indices of the source's class list (255 = ignore).
  cv::Mat semantic_mask;
};

/// A dataset reader: a list of photos whose annotations load independently, so that
/// `prepare` can load them on many threads. load() must be thread-safe.
class DatasetSource {
 public:
  virtual ~DatasetSource() = default;
  /// Short description for logs, e.g. "iMaterialist 2019 train.csv".
  virtual std::string description() const = 0;
  /// Categories and attributes.
  virtual const Taxonomy& taxonomy() const = 0;
  /// Number of photos.
  virtual size_t photo_count() const = 0;
  /// The ImageId of photo i (cheap, no I/O).
  virtual const std::string& image_id(size_t i) const = 0;
  /// Reads and validates photo i's annotations. Throws Error naming file, line and ImageId.
  virtual PhotoAnnotations load(size_t i) const = 0;
  /// For sources whose masks are already semantic (folders): their class names, index =
  /// mask value. Empty for instance sources.
  virtual std::vector<std::string> semantic_class_names() const { return {}; }
};

}  // namespace fashionseg
