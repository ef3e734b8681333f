#pragma once
// torchvision's ASPP and DeepLabHead (DeepLabV3). Keys follow torchvision:
// "0.convs.0.0.weight" (1x1 branch), "0.convs.1..3" (atrous branches), "0.convs.4.1.weight"
// (image pooling branch), "0.project.0.weight", then "1.weight" (3x3), "2" BN, "4" classifier.

#include <torch/torch.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "models/fused_convolution.h"
#include "models/layers.h"

namespace fashionseg::models {

/// Image-level pooling branch: AdaptiveAvgPool(1) "0", 1x1 conv "1", BN "2", ReLU "3", then
/// bilinear upsampling back to the input's size.
class AsppPoolingImpl : public torch::nn::Module, public ConvBatchNormPairs {
 public:
  AsppPoolingImpl(int64_t in_channels, int64_t out_channels);
  torch::Tensor forward(const torch::Tensor& x);
  std::vector<std::pair<torch::nn::Conv2d, FoldableBatchNorm2d>> conv_batch_norm_pairs()
      const override {
    return {{conv, bn}};
  }

 private:
  torch::nn::Conv2d conv{nullptr};
  FoldableBatchNorm2d bn{nullptr};
};
TORCH_MODULE(AsppPooling);

/// Atrous spatial pyramid pooling: 1x1, one 3x3 branch per rate, image pooling; concatenated
/// and projected to out_channels with Dropout(0.5).
class AsppImpl : public torch::nn::Module, public FusesConvolutions {
 public:
  AsppImpl(int64_t in_channels, const std::vector<int64_t>& rates, int64_t out_channels = 256);
  torch::Tensor forward(const torch::Tensor& x);
  /// The 1x1 and atrous branches and the projection, each with its ReLU; only once their
  /// normalisations are folded.
  int64_t fuse_convolutions() override;

 private:
  struct Fused {
    std::vector<std::unique_ptr<FusedConvolution>> branches;
    std::unique_ptr<FusedConvolution> project;
  };
  std::shared_ptr<const Fused> fused_;
  // Each branch is a Sequential (conv "0", BN "1", ReLU "2") for torchvision's keys and for
  // fold_batch_norms; forward calls its conv and BN directly so that the dilated ones can
  // skip their padding-only taps (atrous_conv.h).
  std::vector<torch::nn::Conv2d> branch_convs_;
  std::vector<FoldableBatchNorm2d> branch_norms_;
  AsppPooling pooling_{nullptr};
  torch::nn::ModuleList convs{nullptr};
  torch::nn::Sequential project{nullptr};
};
TORCH_MODULE(Aspp);

/// torchvision's DeepLabHead(in_channels, num_classes): ASPP (rates 12, 24, 36) -> 3x3 conv ->
/// BN -> ReLU -> 1x1 conv. `channels` = 256 in torchvision (smaller values for quick tests).
torch::nn::Sequential make_deeplab_head(int64_t in_channels, int64_t num_classes,
                                        int64_t channels = 256);

}  // namespace fashionseg::models
