#pragma once
/// Choosing where tensors live from a user's setting ("cpu", "cuda", "cuda:1").

#include <torch/types.h>

#include <string>

namespace fashionseg {

/// Parses a device name. Throws Error(kConfig) naming `setting` (e.g. "train.device") for a
/// malformed name, or for CUDA when this LibTorch build or machine has none.
torch::Device parse_device(const std::string& name, const std::string& setting);

}  // namespace fashionseg
