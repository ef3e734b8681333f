// U-Net's options: BatchNorm on/off, base width, dropout at the bottom.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fashionseg/torch/model_registry.h"
#include "models/layers.h"

namespace fashionseg {
namespace {

// Hand count, widths w = 64, 128, 256, 512, 1024: encoder double convs (3x3, bias without
// BN; gamma+beta per channel with BN), four 2x2 transposed convs w[l+1] -> w[l] with bias,
// decoder double convs 2w[l] -> w[l], a 1x1 classifier with bias.
// The up-convolution runs as a 1x1 convolution and pixel_shuffle (models/layers.h); the
// reference is LibTorch's own ConvTranspose2d: the same output, and the same gradients for
// the input, the weight and the bias, in both memory layouts.
TEST(UNet, UpConvolutionEqualsTheTransposedConvolutionItReplaces) {
  torch::manual_seed(8);
  torch::nn::ConvTranspose2d up(torch::nn::ConvTranspose2dOptions(6, 5, 2).stride(2));
  for (const bool channels_last : {false, true}) {
    torch::Tensor x = torch::randn({2, 6, 7, 9});
    if (channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    x.requires_grad_(true);
    const torch::Tensor upstream = torch::randn({2, 5, 14, 18});
    const torch::Tensor reference = up->forward(x);
    const auto reference_grads =
        torch::autograd::grad({reference}, {x, up->weight, up->bias}, {upstream});
    const torch::Tensor ours = models::transposed_conv_2x2(*up, x);
    const auto our_grads = torch::autograd::grad({ours}, {x, up->weight, up->bias}, {upstream});
    ASSERT_EQ(ours.sizes(), reference.sizes());
    EXPECT_TRUE(torch::allclose(ours, reference, 1e-5, 1e-6)) << "layout " << channels_last;
    for (size_t i = 0; i < our_grads.size(); ++i) {
      EXPECT_TRUE(torch::allclose(our_grads[i], reference_grads[i], 1e-5, 1e-5))
          << "gradient " << i << ", layout " << channels_last;
    }
  }
  // Anything but kernel 2, stride 2 runs as the module itself.
  torch::nn::ConvTranspose2d other(torch::nn::ConvTranspose2dOptions(3, 2, 3).stride(2));
  const torch::Tensor x = torch::randn({1, 3, 5, 5});
  EXPECT_TRUE(torch::equal(models::transposed_conv_2x2(*other, x), other->forward(x)));
}

TEST(UNet, ParameterCountsEqualTheHandCount) {
  ModelOptions plain;
  plain.num_classes = 2;
  plain.batch_norm = false;  // the paper's network (padded convs keep the count unchanged)
  EXPECT_EQ(count_parameters(*create_model("unet", plain)), 31031810);
  EXPECT_EQ(count_parameters(*create_model("unet", ModelOptions{})), 31040623);  // BN, 47
  ModelOptions small;
  small.num_classes = 5;
  small.base_width = 8;
  small.batch_norm = false;
  EXPECT_EQ(count_parameters(*create_model("unet", small)), 485853);
}

TEST(UNet, WithoutBatchNormHasNoNormBuffersAndStillKeepsTheInputSize) {
  ModelOptions options;
  options.num_classes = 3;
  options.base_width = 4;
  options.batch_norm = false;
  auto model = create_model("unet", options);
  EXPECT_TRUE(model->buffers().empty());
  model->eval();
  torch::NoGradGuard no_grad;
  EXPECT_EQ(model->forward(torch::randn({2, 3, 17, 5})).sizes(),
            (std::vector<int64_t>{2, 3, 17, 5}));
}

TEST(UNet, DropoutZeroMakesTrainModeDeterministicDefaultDoesNot) {
  ModelOptions options;
  options.num_classes = 3;
  options.base_width = 4;
  options.batch_norm = false;
  const auto images = torch::randn({2, 3, 16, 16});
  torch::NoGradGuard no_grad;
  auto with_default = create_model("unet", options);  // dropout 0.5 at the bottom
  with_default->train();
  EXPECT_FALSE(torch::equal(with_default->forward(images), with_default->forward(images)));
  options.dropout = 0.0;
  auto without = create_model("unet", options);
  without->train();
  EXPECT_TRUE(torch::equal(without->forward(images), without->forward(images)));
}

}  // namespace
}  // namespace fashionseg
