#include "models/heads/aspp.h"

#include "models/atrous_conv.h"
#include "models/layers.h"

namespace fashionseg::models {

AsppPoolingImpl::AsppPoolingImpl(int64_t in_channels, int64_t out_channels) {
  // children named by their Sequential position in torchvision ("0" is the parameter-free pool)
  register_module("0", torch::nn::AdaptiveAvgPool2d(1));
  conv = register_module("1", conv2d(in_channels, out_channels, 1, 1, 0, 1, false));
  bn = register_module("2", batch_norm(out_channels));
}

torch::Tensor AsppPoolingImpl::forward(const torch::Tensor& x) {
  auto pooled = torch::adaptive_avg_pool2d(x, {1, 1});
  pooled = bn(conv(pooled)).relu_();
  return resize_bilinear(pooled, x.size(-2), x.size(-1));
}

AsppImpl::AsppImpl(int64_t in_channels, const std::vector<int64_t>& rates, int64_t out_channels) {
  convs = register_module("convs", torch::nn::ModuleList());
  branch_convs_.push_back(conv2d(in_channels, out_channels, 1, 1, 0, 1, false));
  for (int64_t rate : rates) {
    branch_convs_.push_back(conv2d(in_channels, out_channels, 3, 1, rate, rate, false));
  }
  for (const auto& conv : branch_convs_) {
    branch_norms_.push_back(batch_norm(out_channels));
    convs->push_back(torch::nn::Sequential(
        conv, branch_norms_.back(), torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true))));
  }
  pooling_ = AsppPooling(in_channels, out_channels);
  convs->push_back(pooling_);
  const auto concat_channels = static_cast<int64_t>(branch_convs_.size() + 1) * out_channels;
  project = register_module(
      "project", torch::nn::Sequential(conv2d(concat_channels, out_channels, 1, 1, 0, 1, false),
                                       batch_norm(out_channels),
                                       torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)),
                                       torch::nn::Dropout(0.5)));
}

torch::Tensor AsppImpl::forward(const torch::Tensor& x) {
  std::vector<torch::Tensor> outputs;
  outputs.reserve(branch_convs_.size() + 1);
  if (fused_ && !is_training() && fused_->branches.front()->accepts(x)) {
    for (const auto& branch : fused_->branches) outputs.push_back(branch->forward(x));
    outputs.push_back(pooling_->forward(x));
    // Channels-last whatever layout the 1x1 pooled branch came in; Dropout is the identity
    // in eval mode.
    return fused_->project->forward(
        torch::cat(outputs, 1).contiguous(torch::MemoryFormat::ChannelsLast));
  }
  for (size_t i = 0; i < branch_convs_.size(); ++i) {
    outputs.push_back(branch_norms_[i](atrous_conv_forward(x, *branch_convs_[i])).relu_());
  }
  outputs.push_back(pooling_->forward(x));
  return project->forward(torch::cat(outputs, 1));
}

int64_t AsppImpl::fuse_convolutions() {
  auto* project_norm = project[1]->as<FoldableBatchNorm2d>();
  if (project_norm == nullptr || !project_norm->folded()) return 0;
  for (const auto& norm : branch_norms_) {
    if (!norm->folded()) return 0;
  }
  auto fused = std::make_shared<Fused>();
  for (const auto& conv : branch_convs_) {
    fused->branches.push_back(std::make_unique<FusedConvolution>(*conv, ConvEpilogue::kRelu));
  }
  fused->project =
      std::make_unique<FusedConvolution>(*project[0]->as<torch::nn::Conv2d>(), ConvEpilogue::kRelu);
  fused_ = std::move(fused);
  return static_cast<int64_t>(branch_convs_.size()) + 1;
}

torch::nn::Sequential make_deeplab_head(int64_t in_channels, int64_t num_classes,
                                        int64_t channels) {
  return torch::nn::Sequential(Aspp(in_channels, std::vector<int64_t>{12, 24, 36}, channels),
                               conv2d(channels, channels, 3, 1, 1, 1, false), batch_norm(channels),
                               torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)),
                               conv2d(channels, num_classes, 1));
}

}  // namespace fashionseg::models
