// Multiply-add counts against hand-computed values (output elements x kernel fan-in).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fashionseg/core/error.h"
#include "fashionseg/torch/flops.h"

namespace fashionseg {
namespace {

namespace nn = torch::nn;

TEST(Flops, ConvolutionsCountOutputElementsTimesFanIn) {
  nn::Conv2d strided(nn::Conv2dOptions(3, 8, 3).stride(2).padding(1));
  nn::Conv2d depthwise(nn::Conv2dOptions(8, 8, 3).padding(2).dilation(2).groups(8).bias(false));
  nn::ConvTranspose2d up(nn::ConvTranspose2dOptions(8, 4, 2).stride(2));
  torch::NoGradGuard no_grad;
  const MacCount count = count_macs([&] {
    torch::Tensor x = strided(torch::zeros({1, 3, 9, 11}));  // -> [1, 8, 5, 6]
    x = depthwise(x);                                        // -> [1, 8, 5, 6]
    up(x);                                                   // -> [1, 4, 10, 12]
  });
  const int64_t strided_macs = 8 * 5 * 6 * (3 * 3 * 3);     // 6480
  const int64_t depthwise_macs = 8 * 5 * 6 * (1 * 3 * 3);   // 2160
  const int64_t transposed_macs = 8 * 5 * 6 * (4 * 2 * 2);  // each input feeds 4x2x2 outputs
  EXPECT_EQ(count.convolution, strided_macs + depthwise_macs + transposed_macs);
  EXPECT_EQ(count.matmul, 0);
}

TEST(Flops, MatrixProductsAndBatches) {
  nn::Linear linear(5, 7);
  nn::Conv2d conv(nn::Conv2dOptions(3, 2, 1));
  torch::NoGradGuard no_grad;
  const MacCount count = count_macs([&] {
    linear(torch::zeros({2, 5}));                                  // 2 * 5 * 7
    torch::bmm(torch::zeros({3, 4, 6}), torch::zeros({3, 6, 2}));  // 3 * 4 * 6 * 2
    conv(torch::zeros({4, 3, 5, 5}));                              // batch 4: 4 * 2 * 25 * 3
  });
  EXPECT_EQ(count.matmul, 2 * 5 * 7 + 3 * 4 * 6 * 2);
  EXPECT_EQ(count.convolution, 4 * 2 * 25 * 3);
  EXPECT_EQ(count.total(), count.matmul + count.convolution);
}

class OneByOne : public SegmentationModel {
 public:
  OneByOne() { conv = register_module("conv", nn::Conv2d(3, 2, 1)); }
  ModelOutput forward_features(const torch::Tensor& images) override {
    ModelOutput output;
    output.out = conv(images);
    output.features = output.out;
    return output;
  }
  nn::Conv2d conv{nullptr};
};

TEST(Flops, ModelCountUsesOneImageAndRestoresTrainingMode) {
  OneByOne model;
  model.train();
  EXPECT_EQ(count_model_macs(model, 7, 9).total(), 7 * 9 * 2 * 3);
  EXPECT_TRUE(model.is_training());
  EXPECT_THROW(count_model_macs(model, 0, 9), Error);
}

}  // namespace
}  // namespace fashionseg
