#pragma once
// Framing and integrity checks for the PyTorch zip archives that torch.save /
// torch::pickle_save write (uncompressed zip entries, each with a CRC-32). The archive itself
// is read by LibTorch (torch::pickle_load, whose PyTorchStreamReader is the zip reader); this
// walk of the central directory is kept because that reader, measured on LibTorch 1.13
// (bench/RESULTS.md, "Checkpoint integrity"), neither checks the entries' CRC-32 (a flipped
// byte of tensor data loads silently) nor exposes the stored CRCs or offsets (its API is
// getAllRecords / getRecord / hasRecord). The checksum itself is zlib's crc32.

#include <string>

#include "fashionseg/core/error.h"

namespace fashionseg::detail {

/// True when `bytes` starts like a zip archive (a local file header).
bool starts_like_zip(const std::string& bytes);

/// Checks that `bytes` is a complete PyTorch zip archive: it ends with an end-of-central-
/// directory record without comment (as PyTorch's writer, C++ and Python alike, writes it; the
/// zip reader alone accepts some truncated files), every central-directory entry points inside
/// the file, and every stored entry's data matches its CRC-32 (LibTorch's reader does not check
/// them, so damaged tensor data would otherwise load silently). Throws Error(kInput) at `where`.
/// Archives that need zip64 fields (> 4 GiB) are checked for framing only.
void check_torch_archive(const std::string& bytes, const Location& where);

}  // namespace fashionseg::detail
