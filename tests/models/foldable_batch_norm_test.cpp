// FoldableBatchNorm2d against LibTorch's own BatchNorm2d (the reference), and folding into a
// convolution against the convolution followed by the normalisation.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "models/foldable_batch_norm.h"

namespace fashionseg::models {
namespace {

TEST(FoldableBatchNorm, MatchesLibTorchBatchNormInTrainingAndEval) {
  torch::manual_seed(3);
  for (const bool cumulative : {false, true}) {
    SCOPED_TRACE(cumulative ? "cumulative average" : "momentum 0.1");
    auto options = torch::nn::BatchNorm2dOptions(6).eps(1e-3);
    if (cumulative) options.momentum(c10::nullopt);
    torch::nn::BatchNorm2d reference(options);
    FoldableBatchNorm2d ours(options);
    {
      torch::NoGradGuard no_grad;
      reference->weight.uniform_(0.5, 1.5);
      reference->bias.uniform_(-1, 1);
      ours->weight.copy_(reference->weight);
      ours->bias.copy_(reference->bias);
    }
    // state-dict keys and order as LibTorch's (checkpoints stay interchangeable)
    EXPECT_EQ(ours->named_parameters().keys(), reference->named_parameters().keys());
    EXPECT_EQ(ours->named_buffers().keys(), reference->named_buffers().keys());
    for (int step = 0; step < 3; ++step) {
      const auto x = torch::randn({4, 6, 5, 7}) * 3 + 1;
      EXPECT_TRUE(torch::allclose(ours->forward(x), reference->forward(x), 1e-5, 1e-5));
    }
    EXPECT_TRUE(torch::allclose(ours->running_mean, reference->running_mean));
    EXPECT_TRUE(torch::allclose(ours->running_var, reference->running_var));
    EXPECT_EQ(ours->num_batches_tracked.item<int64_t>(), 3);
    ours->eval();
    reference->eval();
    const auto x = torch::randn({2, 6, 3, 3});
    EXPECT_TRUE(torch::allclose(ours->forward(x), reference->forward(x), 1e-5, 1e-5));
  }
}

TEST(FoldableBatchNorm, FoldedConvolutionEqualsConvolutionThenNormalisation) {
  torch::manual_seed(5);
  for (const bool conv_bias : {false, true}) {
    SCOPED_TRACE(conv_bias ? "convolution with bias" : "convolution without bias");
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(3, 8, 3).padding(1).bias(conv_bias));
    FoldableBatchNorm2d bn(torch::nn::BatchNorm2dOptions(8));
    torch::NoGradGuard no_grad;
    bn->running_mean.uniform_(-1, 1);
    bn->running_var.uniform_(0.2, 3);
    bn->weight.uniform_(-2, 2);
    bn->bias.uniform_(-1, 1);
    conv->eval();
    bn->eval();
    const auto x = torch::randn({2, 3, 9, 11});
    // the textbook formula, evaluated independently of fold_into
    const auto y = conv->forward(x);
    const auto expected = (y - bn->running_mean.view({1, -1, 1, 1})) /
                              (bn->running_var.view({1, -1, 1, 1}) + 1e-5).sqrt() *
                              bn->weight.view({1, -1, 1, 1}) +
                          bn->bias.view({1, -1, 1, 1});
    ASSERT_TRUE(torch::allclose(bn->forward(y), expected, 1e-5, 1e-5));
    bn->fold_into(*conv);
    EXPECT_TRUE(bn->folded());
    EXPECT_TRUE(torch::allclose(conv->forward(x), expected, 1e-4, 1e-5));
    EXPECT_TRUE(torch::equal(bn->forward(y), y)) << "a folded normalisation is the identity";
    EXPECT_THROW(bn->fold_into(*conv), std::logic_error) << "folded twice";
  }
}

TEST(FoldableBatchNorm, RefusesToFoldWhatItCannot) {
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(3, 8, 1));
  FoldableBatchNorm2d training(torch::nn::BatchNorm2dOptions(8));
  EXPECT_THROW(training->fold_into(*conv), std::logic_error);  // training mode
  FoldableBatchNorm2d wrong_width(torch::nn::BatchNorm2dOptions(4));
  wrong_width->eval();
  EXPECT_THROW(wrong_width->fold_into(*conv), std::logic_error);
  FoldableBatchNorm2d no_statistics(torch::nn::BatchNorm2dOptions(8).track_running_stats(false));
  no_statistics->eval();
  EXPECT_THROW(no_statistics->fold_into(*conv), std::logic_error);
}

}  // namespace
}  // namespace fashionseg::models
