// The models' resize (models/layers.h resize_bilinear) against its reference, LibTorch's
// F::interpolate(bilinear, align_corners=false): its own channels-last kernel (float and
// bf16), with F::interpolate's gradient; LibTorch's for tensors that are not channels-last.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "fashionseg/torch/cpu_autocast.h"
#include "models/layers.h"

namespace fashionseg {
namespace {

namespace F = torch::nn::functional;

torch::Tensor reference(const torch::Tensor& x, int64_t height, int64_t width) {
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{height, width})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

TEST(ResizeBilinear, ChannelsLastAtInferenceEqualsInterpolate) {
  torch::manual_seed(6);
  const torch::Tensor x =
      torch::randn({2, 47, 13, 9}).contiguous(torch::MemoryFormat::ChannelsLast);
  c10::InferenceMode inference;
  for (const auto& [height, width] : {std::pair{104, 72}, {100, 61}, {7, 5}, {13, 30}}) {
    const torch::Tensor ours = models::resize_bilinear(x, height, width);
    const torch::Tensor expected = reference(x, height, width);
    ASSERT_EQ(ours.sizes(), expected.sizes());
    EXPECT_TRUE(ours.is_contiguous(torch::MemoryFormat::ChannelsLast));
    EXPECT_TRUE(torch::allclose(ours, expected, 1e-5, 1e-5))
        << height << "x" << width << ": largest difference "
        << (ours - expected).abs().max().item<double>();
  }
}

// bf16 autocast leaves upsampling in the input's type. The reference is the float resize of
// the same values rounded once to bf16; LibTorch's own bf16 kernel rounds along the way (ten
// times the error: 0.08 at most on unit-variance inputs where one rounding gives 0.008) and
// ours must be at least as close to the float result as it is.
TEST(ResizeBilinear, Bf16IsTheFloatResizeRoundedOnce) {
  torch::manual_seed(7);
  const torch::Tensor x = torch::randn({2, 21, 16, 16})
                              .to(torch::kBFloat16)
                              .contiguous(torch::MemoryFormat::ChannelsLast);
  c10::InferenceMode inference;
  const CpuBf16Autocast autocast(true);
  const torch::Tensor ours = models::resize_bilinear(x, 128, 100);
  ASSERT_EQ(ours.scalar_type(), torch::kBFloat16);
  const torch::Tensor exact = reference(x.to(torch::kFloat), 128, 100);
  const torch::Tensor rounded = exact.to(torch::kBFloat16).to(torch::kFloat);
  const torch::Tensor values = ours.to(torch::kFloat);
  // Equal but where the float sums, in another order (about 1e-7 apart), fall on the other
  // side of a rounding boundary: then one bf16 step (2^-7 of the value) apart, or a few steps
  // of a value within 1e-6 of zero.
  EXPECT_GE(values.eq(rounded).to(torch::kFloat).mean().item<double>(), 0.99);
  EXPECT_TRUE(((values - rounded).abs() <= rounded.abs() / 128 + 1e-6).all().item<bool>());
  const torch::Tensor libtorch = reference(x, 128, 100).to(torch::kFloat);
  EXPECT_LE((values - exact).abs().max().item<double>(),
            (libtorch - exact).abs().max().item<double>());
}

// With a gradient to record: the same values, and the gradient F::interpolate's autograd gives.
TEST(ResizeBilinear, GradientIsInterpolatesGradient) {
  torch::manual_seed(8);
  for (const auto type : {torch::kFloat, torch::kBFloat16}) {
    const torch::Tensor x = torch::randn({2, 8, 10, 12})
                                .to(type)
                                .contiguous(torch::MemoryFormat::ChannelsLast)
                                .requires_grad_();
    const torch::Tensor upstream =
        torch::randn({2, 8, 40, 30}).to(type).contiguous(torch::MemoryFormat::ChannelsLast);
    const torch::Tensor ours = models::resize_bilinear(x, 40, 30);
    ASSERT_TRUE(ours.requires_grad());
    EXPECT_NE(ours.grad_fn()->name().find("ChannelsLastResize"), std::string::npos)
        << ours.grad_fn()->name();
    const torch::Tensor our_gradient = torch::autograd::grad({ours}, {x}, {upstream})[0];
    const torch::Tensor expected = reference(x, 40, 30);
    const torch::Tensor expected_gradient = torch::autograd::grad({expected}, {x}, {upstream})[0];
    EXPECT_EQ(our_gradient.scalar_type(), type);
    const double tolerance = type == torch::kFloat ? 1e-5 : 0.02;
    EXPECT_TRUE(torch::allclose(ours.to(torch::kFloat), expected.to(torch::kFloat), tolerance,
                                tolerance * 5));
    EXPECT_TRUE(torch::allclose(our_gradient.to(torch::kFloat), expected_gradient.to(torch::kFloat),
                                tolerance, tolerance));
  }
}

TEST(ResizeBilinear, NchwTensorsAreLibTorchsOwn) {
  c10::InferenceMode inference;
  const torch::Tensor planar = torch::randn({1, 8, 10, 10});
  EXPECT_TRUE(torch::equal(models::resize_bilinear(planar, 40, 40), reference(planar, 40, 40)));
}

}  // namespace
}  // namespace fashionseg
