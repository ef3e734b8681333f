#pragma once
/// NumPy `.npy` files (format 1.0, little-endian, C order) for float32, int64 and uint8
/// tensors: `numpy.load(path)` reads what write_npy writes (e.g. `predict --logits`).

#include <torch/types.h>

#include <filesystem>
#include <string>

namespace fashionseg {

/// The bytes of a `.npy` file holding `tensor` (any device, any strides; written C-ordered
/// from a CPU copy). dtype must be float32, int64 or uint8, else Error(kConfig).
std::string encode_npy(const torch::Tensor& tensor);

/// Writes encode_npy(tensor) to `path` atomically (temp file, then rename).
void write_npy(const std::filesystem::path& path, const torch::Tensor& tensor);

/// Parses `.npy` bytes (format 1.x/2.x, little-endian or byte-order-free dtypes '<f4', '<i8',
/// '|u1', C order) into a CPU tensor. Anything else is an Error(kInput) naming `source`.
torch::Tensor decode_npy(const std::string& bytes, const std::string& source);

/// Reads a `.npy` file written by write_npy or by numpy.save with the dtypes above.
torch::Tensor read_npy(const std::filesystem::path& path);

}  // namespace fashionseg
