#pragma once
/// Choosing where tensors live from a user's setting ("cpu", "cuda", "cuda:1").

#include <torch/types.h>

#include <string>

namespace fashionseg {

/// Parses a device name. Throws Error(kConfig) naming `setting` (e.g. "train.device") for a
/// malformed name, or for CUDA when this LibTorch build or machine has none.
torch::Device parse_device(const std::string& name, const std::string& setting);

/// Whether `architecture` (a registered model name) runs faster with NHWC (channels-last)
/// tensors on the CPU: the MobileNetV3 models do (depthwise convolutions, about 1.2x); the
/// dense convolutions of the ResNet, VGG, U-Net and DenseNet models run about 2x slower NHWC
/// in LibTorch 1.13 (bench/RESULTS.md), so they stay NCHW.
bool channels_last_helps(const std::string& architecture);

}  // namespace fashionseg
