#include "models/backbones/resnet.h"

#include "fashionseg/core/error.h"
#include "models/layers.h"

namespace fashionseg::models {

namespace {
constexpr int64_t kExpansion = 4;
}

BottleneckImpl::BottleneckImpl(int64_t in_channels, int64_t planes, int64_t stride,
                               int64_t dilation, bool with_downsample) {
  const int64_t out_channels = planes * kExpansion;
  conv1 = register_module("conv1", conv2d(in_channels, planes, 1, 1, 0, 1, false));
  bn1 = register_module("bn1", batch_norm(planes));
  conv2 = register_module("conv2", conv2d(planes, planes, 3, stride, dilation, dilation, false));
  bn2 = register_module("bn2", batch_norm(planes));
  conv3 = register_module("conv3", conv2d(planes, out_channels, 1, 1, 0, 1, false));
  bn3 = register_module("bn3", batch_norm(out_channels));
  if (with_downsample) {
    downsample = register_module(
        "downsample",
        torch::nn::Sequential(conv2d(in_channels, out_channels, 1, stride, 0, 1, false),
                              batch_norm(out_channels)));
  }
}

torch::Tensor BottleneckImpl::forward_block(const torch::Tensor& x, bool input_is_scratch) {
  if (fused_ && !is_training() && fused_->conv1->accepts(x)) {
    const torch::Tensor out = fused_->conv2->forward(fused_->conv1->forward(x));
    torch::Tensor residual = fused_->downsample ? fused_->downsample->forward(x)
                             : input_is_scratch ? x
                                                : x.clone(torch::MemoryFormat::ChannelsLast);
    fused_->conv3->forward_add_relu(out, residual);
    return residual;
  }
  // In place like torchvision (its ReLUs are inplace=True): each out-of-place op would
  // allocate, and fault in, another feature map. Safe for autograd: BatchNorm's and the
  // convolution's backward need their inputs, not these outputs.
  auto out = bn1(conv1(x)).relu_();
  out = bn2(conv2(out)).relu_();
  out = bn3(conv3(out));
  out += downsample ? downsample->forward(x) : x;
  return torch::relu_(out);
}

std::vector<std::pair<torch::nn::Conv2d, FoldableBatchNorm2d>>
BottleneckImpl::conv_batch_norm_pairs() const {
  return {{conv1, bn1}, {conv2, bn2}, {conv3, bn3}};  // downsample is a Sequential
}

int64_t BottleneckImpl::fuse_convolutions() {
  // A normalisation that is not folded would be skipped by the fused path.
  const auto* downsample_norm = downsample ? downsample[1]->as<FoldableBatchNorm2d>() : nullptr;
  if (!bn1->folded() || !bn2->folded() || !bn3->folded() ||
      (downsample && (downsample_norm == nullptr || !downsample_norm->folded()))) {
    return 0;
  }
  auto fused = std::make_shared<Fused>();
  fused->conv1 = std::make_unique<FusedConvolution>(*conv1, ConvEpilogue::kRelu);
  fused->conv2 = std::make_unique<FusedConvolution>(*conv2, ConvEpilogue::kRelu);
  fused->conv3 = std::make_unique<FusedConvolution>(*conv3, ConvEpilogue::kAddRelu);
  if (downsample) {
    fused->downsample = std::make_unique<FusedConvolution>(*downsample[0]->as<torch::nn::Conv2d>(),
                                                           ConvEpilogue::kNone);
  }
  fused_ = std::move(fused);
  return downsample ? 4 : 3;
}

ResNet50BackboneImpl::ResNet50BackboneImpl(int64_t output_stride) {
  if (output_stride != 8 && output_stride != 16 && output_stride != 32) {
    throw_config_error("ResNet-50 backbone: output_stride must be 8, 16 or 32, got " +
                       std::to_string(output_stride));
  }
  conv1 = register_module("conv1", conv2d(3, 64, 7, 2, 3, 1, false));
  bn1 = register_module("bn1", batch_norm(64));
  layer1 = register_module("layer1", make_layer(64, 3, 1, false));
  // replace_stride_with_dilation for (layer2, layer3, layer4): OS8 = (F, T, T), OS16 = (F, F, T)
  layer2 = register_module("layer2", make_layer(128, 4, 2, false));
  layer3 = register_module("layer3", make_layer(256, 6, 2, output_stride == 8));
  layer4 = register_module("layer4", make_layer(512, 3, 2, output_stride <= 16));
  init_kaiming_fan_out(*this);
}

torch::nn::Sequential ResNet50BackboneImpl::make_layer(int64_t planes, int64_t blocks,
                                                       int64_t stride, bool dilate) {
  const int64_t previous_dilation = dilation_;
  if (dilate) {
    dilation_ *= stride;
    stride = 1;
  }
  const bool with_downsample = stride != 1 || in_channels_ != planes * kExpansion;
  torch::nn::Sequential layer;
  layer->push_back(Bottleneck(in_channels_, planes, stride, previous_dilation, with_downsample));
  in_channels_ = planes * kExpansion;
  for (int64_t i = 1; i < blocks; ++i) {
    layer->push_back(Bottleneck(in_channels_, planes, 1, dilation_, false));
  }
  return layer;
}

torch::Tensor ResNet50BackboneImpl::run_layer(const torch::nn::Sequential& layer, torch::Tensor x) {
  for (size_t i = 0; i < layer->size(); ++i) {
    x = layer->ptr<BottleneckImpl>(i)->forward_block(x, /*input_is_scratch=*/i > 0);
  }
  return x;
}

ResNetFeatures ResNet50BackboneImpl::forward(const torch::Tensor& x) {
  auto out = bn1(conv1(x)).relu_();
  out = torch::max_pool2d(out, 3, 2, 1);
  out = run_layer(layer1, out);
  out = run_layer(layer2, out);
  ResNetFeatures features;
  features.layer3 = run_layer(layer3, out);
  features.layer4 = run_layer(layer4, features.layer3);
  return features;
}

std::vector<std::pair<torch::nn::Conv2d, FoldableBatchNorm2d>>
ResNet50BackboneImpl::conv_batch_norm_pairs() const {
  return {{conv1, bn1}};
}

}  // namespace fashionseg::models
