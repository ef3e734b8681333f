#pragma once
/// Image + mask folders: photos in one folder, 8-bit PNG label masks with the same stem in
/// another (photo `a.jpg` <-> mask `a.png`), and a class list file with one class name per
/// line: line 1 is mask value 0 (normally "background"), line k+1 is value k. Value 255 in a
/// mask means ignore. Every line counts (values stay aligned with line numbers); only a
/// final newline is ignored.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fashionseg/data/annotations.h"

#include "fashionseg/data/image_io.h"

namespace fashionseg {

/// Reads a class list file (one name per line, value = line - 1). Throws Error(kInput) naming
/// the line for an empty name or a duplicate, or for more than 255 classes.
std::vector<std::string> read_class_list(const std::filesystem::path& path);

/// Opens image + mask folders. Every photo (.jpg/.jpeg/.png) needs a mask <stem>.png; a
/// missing mask is an Error(kNotFound) naming the photo. load() reads the mask, checks it is
/// 8-bit single-channel, of the photo's size and holds only values < class count or 255;
/// a photo or mask of more than `max_pixels` is refused from its header.
std::unique_ptr<DatasetSource> open_mask_folders(const std::filesystem::path& image_dir,
                                                 const std::filesystem::path& mask_dir,
                                                 const std::filesystem::path& class_list,
                                                 int64_t max_pixels = kDefaultMaxPixels);

}  // namespace fashionseg
