#pragma once
/// File helpers: atomic writes (temp file + rename), whole-file reads, directory creation.
/// Every output fashionseg writes goes through write_file_atomic, so an interrupted run never
/// leaves a half-written file under a final name.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "fashionseg/core/error.h"

namespace fashionseg {

/// Writes `bytes` to `path` atomically: a temp file in the same directory, fsync'd, then
/// renamed over `path`. Creates missing parent directories. Throws Error(kIo) on failure and
/// leaves no temp file behind.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

/// Same, for a binary buffer.
void write_file_atomic(const std::filesystem::path& path, const std::vector<unsigned char>& bytes);

/// Reads a whole file. Throws Error(kNotFound) when it does not exist, Error(kIo) otherwise.
std::string read_file(const std::filesystem::path& path);

/// True for names of temp files that write_file_atomic creates (to clean up after a crash).
bool is_atomic_temp_name(const std::string& filename);

/// Removes leftover temp files of write_file_atomic in `dir` (not recursive); returns count.
size_t remove_atomic_temps(const std::filesystem::path& dir);

/// Checks a photo name read from an annotation file (an ImageId, a COCO file_name): it must
/// name a file inside the photo folder, so it is relative, has no ".." part and no NUL, and
/// each part fits a file name (255 bytes). Throws Error(kInput) at `where` naming the problem.
void check_photo_name(const std::string& name, const Location& where);

}  // namespace fashionseg
