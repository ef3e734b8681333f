#pragma once
/// Turning what a user names on the command line (files, folders, glob patterns, a list file)
/// into the sorted list of photos to process, and splitting it across machines.

#include <filesystem>
#include <string>
#include <vector>

namespace fashionseg {

/// True for the photo extensions read (jpg, jpeg, png, bmp, webp, tif, tiff; any case).
bool is_photo_file(const std::filesystem::path& path);

/// The photos named by `inputs` (each a file, a folder whose photos are taken, recursively
/// when asked, or a glob pattern such as "shots/*.jpg") and by `list_file` (one path per line,
/// relative to the list's folder; blank lines and lines starting with '#' skipped), sorted,
/// duplicates removed. Throws Error(kNotFound) naming an input that matches nothing, and
/// Error(kInput) naming the list file and line of a missing photo.
std::vector<std::filesystem::path> collect_photos(const std::vector<std::string>& inputs,
                                                  const std::string& list_file = {},
                                                  bool recursive = false);

/// A shard "i/n" (0 <= i < n).
struct Shard {
  int index = 0;
  int count = 1;
};

/// Parses "i/n". Throws Error(kConfig) for anything else.
Shard parse_shard(const std::string& text);

/// The photos of shard i of n: every n-th photo starting at i, so shards are balanced and
/// their union is the whole list.
std::vector<std::filesystem::path> take_shard(const std::vector<std::filesystem::path>& photos,
                                              const Shard& shard);

/// One output name stem per photo: the file stem, with "_2", "_3", ... added where two
/// photos of different folders share a stem, so no output overwrites another.
std::vector<std::string> unique_stems(const std::vector<std::filesystem::path>& photos);

}  // namespace fashionseg
