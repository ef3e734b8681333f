#include "fashionseg/data/mask_folder.h"

#include <algorithm>
#include <set>

#include <opencv2/core.hpp>

#include "fashionseg/core/files.h"
#include "fashionseg/data/image_io.h"

namespace fashionseg {
namespace fs = std::filesystem;
namespace {

bool is_photo(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), ::tolower);
  return extension == ".jpg" || extension == ".jpeg" || extension == ".png";
}

class MaskFolderSource final : public DatasetSource {
 public:
  MaskFolderSource(fs::path image_dir, fs::path mask_dir, const fs::path& class_list,
                   int64_t max_pixels)
      : image_dir_(std::move(image_dir)), mask_dir_(std::move(mask_dir)), max_pixels_(max_pixels) {
    class_names_ = read_class_list(class_list);
    for (size_t k = 0; k < class_names_.size(); ++k) {
      taxonomy_.categories.push_back(Category{int(k), class_names_[k], ""});
    }
    if (!fs::is_directory(image_dir_)) {
      throw Error(ErrorKind::kNotFound, "image folder not found",
                  Location{image_dir_.string(), 0, ""});
    }
    std::vector<fs::path> photos;
    for (const auto& entry : fs::directory_iterator(image_dir_)) {
      if (entry.is_regular_file() && is_photo(entry.path())) photos.push_back(entry.path());
    }
    std::sort(photos.begin(), photos.end());
    std::set<std::string> stems;
    for (const fs::path& photo : photos) {
      const std::string stem = photo.stem().string();
      if (!stems.insert(stem).second) {
        throw_input_error("two photos share the stem '" + stem + "'",
                          Location{photo.string(), 0, ""});
      }
      const fs::path mask = mask_dir_ / (stem + ".png");
      if (!fs::is_regular_file(mask)) {
        throw Error(ErrorKind::kNotFound, "mask " + mask.string() + " is missing",
                    Location{photo.string(), 0, "image " + photo.filename().string()});
      }
      ids_.push_back(photo.filename().string());
      photos_.push_back(photo);
    }
  }

  std::string description() const override { return "image/mask folders " + image_dir_.string(); }
  const Taxonomy& taxonomy() const override { return taxonomy_; }
  size_t photo_count() const override { return photos_.size(); }
  const std::string& image_id(size_t i) const override { return ids_.at(i); }
  std::vector<std::string> semantic_class_names() const override { return class_names_; }

  PhotoAnnotations load(size_t i) const override {
    PhotoAnnotations photo;
    photo.image_id = ids_.at(i);
    photo.image_path = photos_.at(i);
    const fs::path mask_path = mask_dir_ / (photos_[i].stem().string() + ".png");
    const Location where{mask_path.string(), 0, "image " + photo.image_id};
    const ImageSize size = read_image_size(photo.image_path);
    check_pixel_limit(size, max_pixels_, {photo.image_path.string(), 0, ""});
    cv::Mat mask = read_label_mask(mask_path, max_pixels_);
    if (mask.cols != size.width || mask.rows != size.height) {
      throw_input_error("mask is " + std::to_string(mask.cols) + "x" + std::to_string(mask.rows) +
                            " but the photo is " + std::to_string(size.width) + "x" +
                            std::to_string(size.height),
                        where);
    }
    double max_value = 0;
    cv::Mat labelled = mask != 255;
    cv::minMaxLoc(mask, nullptr, &max_value, nullptr, nullptr, labelled);
    if (cv::countNonZero(labelled) > 0 && max_value >= double(class_names_.size())) {
      throw_input_error("mask value " + std::to_string(int(max_value)) +
                            " has no class (the class list has " +
                            std::to_string(class_names_.size()) + " names)",
                        where);
    }
    photo.width = mask.cols;
    photo.height = mask.rows;
    photo.semantic_mask = mask;
    return photo;
  }

 private:
  fs::path image_dir_, mask_dir_;
  int64_t max_pixels_;
  std::vector<std::string> class_names_;
  Taxonomy taxonomy_;
  std::vector<std::string> ids_;
  std::vector<fs::path> photos_;
};

}  // namespace

std::vector<std::string> read_class_list(const fs::path& path) {
  const std::string text = read_file(path);
  std::vector<std::string> names;
  std::set<std::string> seen;
  size_t begin = 0;
  size_t line = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string name = text.substr(begin, end - begin);
    ++line;
    if (!name.empty() && name.back() == '\r') name.pop_back();
    const Location where{path.string(), line, ""};
    if (name.empty()) throw_input_error("empty class name", where);
    if (!seen.insert(name).second) throw_input_error("duplicate class name '" + name + "'", where);
    names.push_back(name);
    begin = end + 1;
  }
  if (names.empty()) throw_input_error("no class names", Location{path.string(), 0, ""});
  if (names.size() > 255)
    throw_input_error("more than 255 classes", Location{path.string(), 256, ""});
  return names;
}

std::unique_ptr<DatasetSource> open_mask_folders(const fs::path& image_dir,
                                                 const fs::path& mask_dir,
                                                 const fs::path& class_list, int64_t max_pixels) {
  return std::make_unique<MaskFolderSource>(image_dir, mask_dir, class_list, max_pixels);
}

}  // namespace fashionseg
