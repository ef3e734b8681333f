// Dilated convolutions computed tap by tap over the in-bounds outputs only, against
// LibTorch's own convolution (forward and gradients), and the share of in-bounds work
// against values worked out by hand.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>
#include <string>

#include "models/atrous_conv.h"

namespace fashionseg::models {
namespace {

TEST(InBoundsShare, HandWorkedValues) {
  // 64 rows, taps at -36, 0, +36: 28 + 64 + 28 of 3 x 64 row reads are inside
  EXPECT_DOUBLE_EQ(in_bounds_share(64, 64, 3, 36), (120.0 / 192) * (120.0 / 192));
  // a 36 x 24 map and rate 36: only the centre tap stays inside
  EXPECT_DOUBLE_EQ(in_bounds_share(36, 24, 3, 36), 1.0 / 9);
  EXPECT_DOUBLE_EQ(in_bounds_share(64, 64, 3, 1), (190.0 / 192) * (190.0 / 192));
  EXPECT_DOUBLE_EQ(in_bounds_share(10, 10, 1, 1), 1.0);
  // 5 taps at -4, -2, 0, 2, 4 over 5 rows: 1 + 3 + 5 + 3 + 1 reads inside
  EXPECT_DOUBLE_EQ(in_bounds_share(5, 1, 5, 2), 13.0 / 25 * (1.0 / 5));
}

TEST(InBoundsTaps, EqualsTheConvolutionWithGradients) {
  torch::manual_seed(17);
  struct Case {
    int64_t height, width, kernel, dilation;
    bool bias;
  };
  for (const Case& c :
       {Case{64, 64, 3, 36, false}, Case{36, 24, 3, 24, true}, Case{36, 24, 3, 12, false},
        Case{7, 5, 3, 1, true}, Case{9, 11, 5, 2, false}, Case{1, 1, 3, 6, true}}) {
    SCOPED_TRACE(std::to_string(c.height) + "x" + std::to_string(c.width) + " kernel " +
                 std::to_string(c.kernel) + " dilation " + std::to_string(c.dilation));
    const int64_t padding = c.dilation * (c.kernel / 2);
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(6, 4, c.kernel)
                               .padding(padding)
                               .dilation(c.dilation)
                               .bias(c.bias));
    const auto x = torch::randn({2, 6, c.height, c.width}, torch::requires_grad());
    const auto expected = conv->forward(x);
    const auto got = conv2d_in_bounds_taps(x, *conv);
    ASSERT_EQ(got.sizes(), expected.sizes());
    EXPECT_TRUE(torch::allclose(got, expected, 1e-5, 1e-5))
        << "max difference " << (got - expected).abs().max().item<double>();

    const auto weights = torch::randn_like(expected);
    const auto grads_expected =
        torch::autograd::grad({(expected * weights).sum()}, {x, conv->weight});
    const auto grads_got = torch::autograd::grad({(got * weights).sum()}, {x, conv->weight});
    EXPECT_TRUE(torch::allclose(grads_got[0], grads_expected[0], 1e-4, 1e-5)) << "input grad";
    EXPECT_TRUE(torch::allclose(grads_got[1], grads_expected[1], 1e-4, 1e-4)) << "weight grad";
  }
}

TEST(InBoundsTaps, OtherConvolutionsAreRefusedOrLeftToLibTorch) {
  torch::nn::Conv2d strided(torch::nn::Conv2dOptions(3, 4, 3).stride(2).padding(1));
  const auto x = torch::randn({1, 3, 8, 8});
  EXPECT_THROW(conv2d_in_bounds_taps(x, *strided), std::logic_error);
  EXPECT_TRUE(torch::equal(atrous_conv_forward(x, *strided), strided->forward(x)));
  torch::nn::Conv2d unpadded(torch::nn::Conv2dOptions(3, 4, 3).dilation(4));
  EXPECT_THROW(conv2d_in_bounds_taps(x, *unpadded), std::logic_error);
  torch::nn::Conv2d grouped(torch::nn::Conv2dOptions(4, 4, 3).padding(8).dilation(8).groups(2));
  EXPECT_THROW(conv2d_in_bounds_taps(torch::randn({1, 4, 8, 8}), *grouped), std::logic_error);
  // a dilation the map mostly escapes goes tap by tap; the result is the convolution's
  torch::nn::Conv2d atrous(torch::nn::Conv2dOptions(3, 4, 3).padding(24).dilation(24));
  EXPECT_TRUE(torch::allclose(atrous_conv_forward(x, *atrous), atrous->forward(x), 1e-5, 1e-5));
}

}  // namespace
}  // namespace fashionseg::models
