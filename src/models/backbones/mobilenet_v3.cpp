#include "models/backbones/mobilenet_v3.h"

#include <string>
#include <vector>

#include "models/layers.h"

namespace fashionseg::models {

namespace {

constexpr double kBnEps = 0.001;
constexpr double kBnMomentum = 0.01;

enum class Activation { kNone, kReLU, kHardswish };

// torchvision's _make_divisible(v, 8).
int64_t make_divisible(double value, int64_t divisor = 8) {
  int64_t rounded =
      std::max<int64_t>(divisor, static_cast<int64_t>(value + divisor / 2.0) / divisor * divisor);
  if (rounded < 0.9 * value) rounded += divisor;
  return rounded;
}

// torchvision's Conv2dNormActivation: conv (no bias) "0", BN "1", activation "2".
SequentialBlock conv_norm_activation(int64_t in_channels, int64_t out_channels, int64_t kernel,
                                     int64_t stride, int64_t groups, int64_t dilation,
                                     Activation activation) {
  const int64_t padding = (kernel - 1) / 2 * dilation;
  SequentialBlock layers(
      conv2d(in_channels, out_channels, kernel, stride, padding, dilation, false, groups),
      batch_norm(out_channels, kBnEps, kBnMomentum));
  // In place, as torchvision's (inplace=True): the normalisation before it does not need its
  // output for the backward pass, and the activation saves an allocation and a pass over the
  // feature map.
  if (activation == Activation::kReLU) {
    layers->push_back(torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)));
  }
  if (activation == Activation::kHardswish) {
    layers->push_back(torch::nn::Functional([](torch::Tensor t) { return torch::hardswish_(t); }));
  }
  return layers;
}

// torchvision 0.14 _mobilenet_v3_conf("mobilenet_v3_large", dilated=True): the C4 stage
// (last three blocks) has dilation 2 and its depthwise stride becomes 1.
std::vector<InvertedResidualConfig> large_dilated_table() {
  const bool RE = false, HS = true;
  return {
      {16, 3, 16, 16, false, RE, 1, 1},   {16, 3, 64, 24, false, RE, 2, 1},
      {24, 3, 72, 24, false, RE, 1, 1},   {24, 5, 72, 40, true, RE, 2, 1},
      {40, 5, 120, 40, true, RE, 1, 1},   {40, 5, 120, 40, true, RE, 1, 1},
      {40, 3, 240, 80, false, HS, 2, 1},  {80, 3, 200, 80, false, HS, 1, 1},
      {80, 3, 184, 80, false, HS, 1, 1},  {80, 3, 184, 80, false, HS, 1, 1},
      {80, 3, 480, 112, true, HS, 1, 1},  {112, 3, 672, 112, true, HS, 1, 1},
      {112, 5, 672, 160, true, HS, 2, 2}, {160, 5, 960, 160, true, HS, 1, 2},
      {160, 5, 960, 160, true, HS, 1, 2},
  };
}

}  // namespace

SqueezeExcitationImpl::SqueezeExcitationImpl(int64_t channels, int64_t squeeze_channels) {
  fc1 = register_module("fc1", conv2d(channels, squeeze_channels, 1));
  fc2 = register_module("fc2", conv2d(squeeze_channels, channels, 1));
}

torch::Tensor SqueezeExcitationImpl::forward(const torch::Tensor& x) {
  auto scale = torch::adaptive_avg_pool2d(x, {1, 1});
  scale = torch::hardsigmoid(fc2(torch::relu(fc1(scale))));
  return scale * x;
}

InvertedResidualImpl::InvertedResidualImpl(const InvertedResidualConfig& config)
    : use_residual_(config.stride == 1 && config.in_channels == config.out_channels),
      out_channels_(config.out_channels),
      starts_stage_(config.stride > 1) {
  const Activation activation = config.use_hardswish ? Activation::kHardswish : Activation::kReLU;
  block = torch::nn::Sequential();
  if (config.expanded_channels != config.in_channels) {
    block->push_back(
        conv_norm_activation(config.in_channels, config.expanded_channels, 1, 1, 1, 1, activation));
  }
  const int64_t stride = config.dilation > 1 ? 1 : config.stride;
  block->push_back(conv_norm_activation(config.expanded_channels, config.expanded_channels,
                                        config.kernel, stride, config.expanded_channels,
                                        config.dilation, activation));
  if (config.use_se) {
    block->push_back(
        SqueezeExcitation(config.expanded_channels, make_divisible(config.expanded_channels / 4)));
  }
  block->push_back(conv_norm_activation(config.expanded_channels, config.out_channels, 1, 1, 1, 1,
                                        Activation::kNone));
  register_module("block", block);
}

torch::Tensor InvertedResidualImpl::forward(const torch::Tensor& x) {
  auto out = block->forward(x);
  if (use_residual_) out += x;  // in place, as torchvision's: out is the block's own tensor
  return out;
}

MobileNetV3LargeFeaturesImpl::MobileNetV3LargeFeaturesImpl() {
  const auto table = large_dilated_table();
  layers_ = torch::nn::Sequential();
  layers_->push_back(
      conv_norm_activation(3, table.front().in_channels, 3, 2, 1, 1, Activation::kHardswish));
  for (const auto& config : table) layers_->push_back(InvertedResidual(config));
  const int64_t last_in = table.back().out_channels;
  layers_->push_back(
      conv_norm_activation(last_in, 6 * last_in, 1, 1, 1, 1, Activation::kHardswish));
  // Children directly under this module ("0".."16"), like torchvision's IntermediateLayerGetter.
  for (size_t i = 0; i < layers_->size(); ++i) {
    register_module(std::to_string(i), layers_->ptr(i));
  }
  init_kaiming_fan_out(*this);
}

MobileNetV3Features MobileNetV3LargeFeaturesImpl::forward(const torch::Tensor& x) {
  MobileNetV3Features features;
  torch::Tensor out = x;
  size_t index = 0;
  for (auto& layer : *layers_) {
    out = layer.forward(out);
    if (index == kDetailIndex) features.detail = out;
    if (index == kLowIndex) features.low = out;
    ++index;
  }
  features.high = out;
  return features;
}

}  // namespace fashionseg::models
