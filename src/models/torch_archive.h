#pragma once
// Framing checks for the PyTorch zip archives that torch.save / torch::pickle_save write.

#include <string>

namespace fashionseg::detail {

/// True when `bytes` starts like a zip archive (a local file header).
inline bool starts_like_zip(const std::string& bytes) {
  return bytes.size() >= 4 && bytes.compare(0, 4, "PK\x03\x04") == 0;
}

/// True when `bytes` ends with a zip end-of-central-directory record without comment, as
/// PyTorch's archive writer (C++ and Python alike) always writes it. The zip reader alone
/// accepts some truncated files (a cut inside the record), so truncation is checked here.
inline bool ends_like_complete_zip(const std::string& bytes) {
  constexpr size_t kEndRecordSize = 22;
  if (bytes.size() < kEndRecordSize) return false;
  const size_t end = bytes.size() - kEndRecordSize;
  return bytes.compare(end, 4, "PK\x05\x06") == 0 && bytes[bytes.size() - 2] == 0 &&
         bytes[bytes.size() - 1] == 0;
}

}  // namespace fashionseg::detail
