// U-Net's options: BatchNorm on/off, base width, dropout at the bottom.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fashionseg/torch/model_registry.h"

namespace fashionseg {
namespace {

// Hand count, widths w = 64, 128, 256, 512, 1024: encoder double convs (3x3, bias without
// BN; gamma+beta per channel with BN), four 2x2 transposed convs w[l+1] -> w[l] with bias,
// decoder double convs 2w[l] -> w[l], a 1x1 classifier with bias.
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
