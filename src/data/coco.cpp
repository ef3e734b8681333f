#include "fashionseg/data/coco.h"

#include <nlohmann/json.hpp>

#include <climits>
#include <cstdint>
#include <map>
#include <set>

#include "fashionseg/core/files.h"
#include "fashionseg/data/coco_mask.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/data/json_text.h"

namespace fashionseg {
namespace fs = std::filesystem;
namespace {

using nlohmann::json;

struct CocoImage {
  int64_t id = 0;
  std::string file_name;
  int width = 0, height = 0;
  std::vector<size_t> annotations;  // indices into the annotation list
};

int64_t required_integer(const json& object, const char* key, const Location& where,
                         int64_t min = INT64_MIN, int64_t max = INT64_MAX) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_number_integer()) {
    throw_input_error(std::string("needs an integer '") + key + "'", where);
  }
  return json_integer(object[key], min, max, key, where);
}

class CocoSource final : public DatasetSource {
 public:
  CocoSource(const fs::path& json_path, fs::path image_dir, CocoOptions options)
      : file_(json_path.string()), image_dir_(std::move(image_dir)), options_(options) {
    const std::string text = read_file(json_path);
    try {
      root_ = json::parse(text);
    } catch (const json::exception& e) {
      throw_input_error(std::string("invalid JSON: ") + e.what(), Location{file_, 0, ""});
    }
    for (const char* key : {"images", "annotations", "categories"}) {
      if (!root_.is_object() || !root_.contains(key) || !root_[key].is_array()) {
        throw_input_error(std::string("no '") + key + "' list", Location{file_, 0, ""});
      }
    }
    read_taxonomy();
    std::map<int64_t, size_t> image_index;
    for (size_t i = 0; i < root_["images"].size(); ++i) {
      const json& entry = root_["images"][i];
      const Location where{file_, 0, "images[" + std::to_string(i) + "]"};
      CocoImage image;
      image.id = required_integer(entry, "id", where);
      image.width = int(required_integer(entry, "width", where, 1, INT32_MAX));
      image.height = int(required_integer(entry, "height", where, 1, INT32_MAX));
      if (!entry.contains("file_name") || !entry["file_name"].is_string()) {
        throw_input_error("needs a string 'file_name'", where);
      }
      image.file_name = entry["file_name"].get<std::string>();
      if (image.width <= 0 || image.height <= 0)
        throw_input_error("non-positive width/height", where);
      if (!image_index.emplace(image.id, images_.size()).second) {
        throw_input_error("duplicate image id " + std::to_string(image.id), where);
      }
      images_.push_back(std::move(image));
    }
    const json& annotations = root_["annotations"];
    for (size_t a = 0; a < annotations.size(); ++a) {
      const json& entry = annotations[a];
      const Location where{file_, 0, "annotations[" + std::to_string(a) + "]"};
      const int64_t image_id = required_integer(entry, "image_id", where);
      const int64_t category_id =
          required_integer(entry, "category_id", where, INT32_MIN, INT32_MAX);
      auto found = image_index.find(image_id);
      if (found == image_index.end()) {
        throw_input_error("image_id " + std::to_string(image_id) + " is not in 'images'", where);
      }
      if (!taxonomy_.find_category(int(category_id))) {
        throw_input_error("category_id " + std::to_string(category_id) + " is not in 'categories'",
                          where);
      }
      if (!entry.contains("segmentation")) throw_input_error("no 'segmentation'", where);
      images_[found->second].annotations.push_back(a);
    }
    if (!options_.keep_unannotated) {
      std::vector<CocoImage> kept;
      for (auto& image : images_) {
        if (!image.annotations.empty()) kept.push_back(std::move(image));
      }
      images_ = std::move(kept);
    }
    for (const auto& image : images_) {
      const std::string stem = fs::path(image.file_name).stem().string();
      if (!stems_.insert(stem).second) {
        throw_input_error("two images share the file stem '" + stem + "'",
                          Location{file_, 0, "image " + image.file_name},
                          "masks are named after the stem");
      }
      ids_.push_back(image.file_name);
    }
  }

  std::string description() const override { return "COCO JSON " + file_; }
  const Taxonomy& taxonomy() const override { return taxonomy_; }
  size_t photo_count() const override { return images_.size(); }
  const std::string& image_id(size_t i) const override { return ids_.at(i); }

  PhotoAnnotations load(size_t i) const override {
    const CocoImage& image = images_.at(i);
    PhotoAnnotations photo;
    photo.image_id = image.file_name;
    photo.width = image.width;
    photo.height = image.height;
    check_photo_name(image.file_name, Location{file_, 0, "image " + image.file_name});
    photo.image_path = image_dir_ / image.file_name;
    // Before any polygon is rasterised at the declared size.
    check_pixel_limit({image.width, image.height}, options_.max_pixels,
                      Location{file_, 0, "image " + image.file_name});
    for (size_t a : image.annotations) {
      photo.instances.push_back(read_instance(root_["annotations"][a], a, image));
    }
    if (!fs::is_regular_file(photo.image_path)) {
      throw Error(ErrorKind::kNotFound, "image file " + photo.image_path.string() + " is missing",
                  Location{file_, 0, "image " + image.file_name});
    }
    if (options_.check_image_sizes) {
      const ImageSize size = read_image_size(photo.image_path);
      if (size.width != image.width || size.height != image.height) {
        throw_input_error("height/width " + std::to_string(image.height) + "/" +
                              std::to_string(image.width) + " disagree with the image file (" +
                              std::to_string(size.height) + "/" + std::to_string(size.width) + ")",
                          Location{file_, 0, "image " + image.file_name});
      }
    }
    return photo;
  }

 private:
  void read_taxonomy() {
    std::set<int> seen;
    for (size_t i = 0; i < root_["categories"].size(); ++i) {
      const json& entry = root_["categories"][i];
      const Location where{file_, 0, "categories[" + std::to_string(i) + "]"};
      Category category;
      category.id = int(required_integer(entry, "id", where, INT32_MIN, INT32_MAX));
      if (!entry.contains("name") || !entry["name"].is_string())
        throw_input_error("needs a 'name'", where);
      category.name = entry["name"].get<std::string>();
      if (entry.contains("supercategory") && entry["supercategory"].is_string()) {
        category.supercategory = entry["supercategory"].get<std::string>();
      }
      if (!seen.insert(category.id).second) throw_input_error("duplicate category id", where);
      taxonomy_.categories.push_back(category);
    }
    if (root_.contains("attributes") && root_["attributes"].is_array()) {
      for (size_t i = 0; i < root_["attributes"].size(); ++i) {
        const json& entry = root_["attributes"][i];
        const Location where{file_, 0, "attributes[" + std::to_string(i) + "]"};
        Attribute attribute;
        attribute.id = int(required_integer(entry, "id", where, INT32_MIN, INT32_MAX));
        if (entry.contains("name") && entry["name"].is_string())
          attribute.name = entry["name"].get<std::string>();
        if (entry.contains("supercategory") && entry["supercategory"].is_string()) {
          attribute.supercategory = entry["supercategory"].get<std::string>();
        }
        taxonomy_.attributes.push_back(attribute);
      }
    }
  }

  Instance read_instance(const json& entry, size_t index, const CocoImage& image) const {
    std::string item = "annotation ";
    item += entry.contains("id") ? entry["id"].dump() : "#" + std::to_string(index);
    item += " (image " + image.file_name + ")";
    const Location where{file_, 0, item};
    Instance instance;
    instance.where = where;
    instance.category_id = int(entry["category_id"].get<int64_t>());
    if (entry.contains("attribute_ids")) {
      if (!entry["attribute_ids"].is_array())
        throw_input_error("'attribute_ids' is not a list", where);
      for (const json& id : entry["attribute_ids"]) {
        if (!id.is_number_integer())
          throw_input_error("'attribute_ids' holds a non-integer", where);
        const int attribute = int(json_integer(id, INT32_MIN, INT32_MAX, "attribute_ids", where));
        if (!taxonomy_.attributes.empty() && !taxonomy_.find_attribute(attribute)) {
          throw_input_error("unknown attribute id " + std::to_string(attribute), where);
        }
        instance.attribute_ids.push_back(attribute);
      }
    }
    if (entry.contains("iscrowd") && entry["iscrowd"].is_number_integer()) {
      instance.crowd = json_integer(entry["iscrowd"], 0, 1, "iscrowd", where) != 0;
    }
    const json& segmentation = entry["segmentation"];
    if (segmentation.is_array()) {
      std::vector<std::vector<double>> polygons;
      for (const json& polygon : segmentation) {
        if (!polygon.is_array()) throw_input_error("a polygon is not a list of numbers", where);
        std::vector<double> coordinates;
        for (const json& value : polygon) {
          if (!value.is_number()) throw_input_error("a polygon holds a non-number", where);
          coordinates.push_back(value.get<double>());
        }
        polygons.push_back(std::move(coordinates));
      }
      instance.runs = rasterize_polygons(polygons, image.height, image.width, where);
    } else if (segmentation.is_object() && segmentation.contains("counts") &&
               segmentation.contains("size")) {
      const json& size = segmentation["size"];
      if (!size.is_array() || size.size() != 2 || !size[0].is_number_integer() ||
          !size[1].is_number_integer()) {
        throw_input_error("RLE 'size' is not [height, width]", where);
      }
      const int height = int(json_integer(size[0], 1, INT32_MAX, "size", where));
      const int width = int(json_integer(size[1], 1, INT32_MAX, "size", where));
      if (height != image.height || width != image.width) {
        throw_input_error("RLE size [" + std::to_string(height) + ", " + std::to_string(width) +
                              "] differs from the image's [" + std::to_string(image.height) + ", " +
                              std::to_string(image.width) + "]",
                          where);
      }
      std::vector<uint32_t> counts;
      const json& raw = segmentation["counts"];
      if (raw.is_string()) {
        counts = coco_counts_from_string(raw.get<std::string>(), where);
      } else if (raw.is_array()) {
        for (const json& value : raw) {
          if (!value.is_number_integer()) {
            throw_input_error("RLE 'counts' holds a value that is not a count", where);
          }
          counts.push_back(uint32_t(json_integer(value, 0, UINT32_MAX, "counts", where)));
        }
      } else {
        throw_input_error("RLE 'counts' is neither a string nor a list", where);
      }
      instance.runs = runs_from_coco_counts(counts, height, width, where);
    } else {
      throw_input_error("'segmentation' is neither polygons nor RLE {size, counts}", where);
    }
    return instance;
  }

  std::string file_;
  fs::path image_dir_;
  CocoOptions options_;
  json root_;
  Taxonomy taxonomy_;
  std::vector<CocoImage> images_;
  std::vector<std::string> ids_;
  std::set<std::string> stems_;
};

}  // namespace

std::unique_ptr<DatasetSource> open_coco(const fs::path& json_path, const fs::path& image_dir,
                                         CocoOptions options) {
  return std::make_unique<CocoSource>(json_path, image_dir, options);
}

}  // namespace fashionseg
