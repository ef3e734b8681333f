// The convolutions run through oneDNN directly (models/fused_convolution.h) against LibTorch's
// own bf16 convolution and an exact float64 reference; the bf16 add-ReLU pass against the
// formula it implements; and the ResNet-50 models prepared with and without fusion.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "fashionseg/torch/cpu_autocast.h"
#include "fashionseg/torch/model_registry.h"
#include "models/add_relu_kernel.h"
#include "models/fused_convolution.h"
#include "models/layers.h"
#include "models/winograd_kernel.h"

namespace fashionseg::models {
namespace {

#define SKIP_WITHOUT_NATIVE_BF16()                                                  \
  if (!fused_convolutions_available()) {                                            \
    GTEST_SKIP() << "this CPU has no native bf16: fuse_convolutions fuses nothing"; \
  }

torch::Tensor channels_last_bf16(const torch::Tensor& t) {
  return t.to(torch::kBFloat16).contiguous(torch::MemoryFormat::ChannelsLast);
}

struct ConvCase {
  int64_t in_channels, out_channels, kernel, stride, padding, dilation;
  bool bias;
};

std::string describe(const ConvCase& c) {
  return std::to_string(c.in_channels) + "->" + std::to_string(c.out_channels) + " k" +
         std::to_string(c.kernel) + " s" + std::to_string(c.stride) + " p" +
         std::to_string(c.padding) + " d" + std::to_string(c.dilation) +
         (c.bias ? " bias" : " no bias");
}

const std::vector<ConvCase> kCases = {
    {64, 32, 1, 1, 0, 1, true}, {32, 48, 3, 1, 1, 1, true},   {48, 32, 3, 2, 1, 1, false},
    {32, 32, 3, 1, 4, 4, true}, {64, 16, 3, 1, 12, 12, true}, {16, 64, 1, 2, 0, 1, false},
    {3, 16, 7, 2, 3, 1, false},
};

torch::nn::Conv2d make_conv(const ConvCase& c) {
  torch::nn::Conv2d conv =
      conv2d(c.in_channels, c.out_channels, c.kernel, c.stride, c.padding, c.dilation, c.bias);
  torch::NoGradGuard no_grad;
  if (c.bias) conv->bias.uniform_(-0.5, 0.5);
  return conv;
}

// Against LibTorch's bf16 convolution (the path fusion replaces) and the exact result on the
// same bf16-rounded inputs and weights: oneDNN accumulates in float and rounds the output to
// bf16 once, so the result is within bf16 rounding (2^-8 relative) of the exact one, and the
// ReLU is exact.
TEST(FusedConvolution, MatchesLibTorchAndTheExactConvolution) {
  SKIP_WITHOUT_NATIVE_BF16();
  torch::manual_seed(5);
  c10::InferenceMode inference;
  for (const ConvCase& c : kCases) {
    for (const ConvEpilogue epilogue : {ConvEpilogue::kNone, ConvEpilogue::kRelu}) {
      torch::nn::Conv2d conv = make_conv(c);
      const torch::Tensor input = channels_last_bf16(torch::randn({2, c.in_channels, 13, 17}));
      const FusedConvolution fused(*conv, epilogue);
      ASSERT_TRUE(fused.accepts(input)) << describe(c);
      const torch::Tensor output = fused.forward(input);
      EXPECT_EQ(output.scalar_type(), torch::kBFloat16);
      EXPECT_TRUE(output.is_contiguous(torch::MemoryFormat::ChannelsLast));

      const torch::Tensor weight = conv->weight.to(torch::kBFloat16);
      const torch::Tensor bias =
          c.bias ? conv->bias.to(torch::kBFloat16).to(torch::kDouble) : torch::Tensor();
      torch::Tensor exact = torch::conv2d(input.to(torch::kDouble), weight.to(torch::kDouble), bias,
                                          c.stride, c.padding, c.dilation);
      torch::Tensor libtorch =
          torch::conv2d(input, weight.contiguous(torch::MemoryFormat::ChannelsLast),
                        c.bias ? conv->bias.to(torch::kBFloat16) : torch::Tensor(), c.stride,
                        c.padding, c.dilation);
      if (epilogue == ConvEpilogue::kRelu) {
        exact = exact.relu();
        libtorch = libtorch.relu();
      }
      ASSERT_EQ(output.sizes(), exact.sizes()) << describe(c);
      const torch::Tensor ours = output.to(torch::kDouble);
      const torch::Tensor tolerance = exact.abs() * std::ldexp(1.0, -8) + 1e-3;
      EXPECT_TRUE((ours - exact).abs().le(tolerance).all().item<bool>())
          << describe(c) << ": largest difference from the exact result "
          << (ours - exact).abs().max().item<double>();
      EXPECT_TRUE((ours - libtorch.to(torch::kDouble)).abs().le(2 * tolerance).all().item<bool>())
          << describe(c) << ": largest difference from LibTorch's bf16 convolution "
          << (ours - libtorch.to(torch::kDouble)).abs().max().item<double>();
      if (epilogue == ConvEpilogue::kRelu) {
        EXPECT_GE(output.min().item<float>(), 0.0f);
      }
    }
  }
}

// What a ResNet bottleneck's last convolution does: relu(conv(x) + bias + residual), over the
// residual, with the same values as LibTorch's conv -> add_ -> relu_ in bf16.
TEST(FusedConvolution, AddReluWritesOverTheResidual) {
  SKIP_WITHOUT_NATIVE_BF16();
  torch::manual_seed(6);
  c10::InferenceMode inference;
  const ConvCase c{32, 64, 1, 1, 0, 1, true};
  torch::nn::Conv2d conv = make_conv(c);
  const FusedConvolution fused(*conv, ConvEpilogue::kAddRelu);
  const torch::Tensor input = channels_last_bf16(torch::randn({1, 32, 9, 11}));
  torch::Tensor residual = channels_last_bf16(torch::randn({1, 64, 9, 11}));
  const torch::Tensor residual_before = residual.clone();
  const void* storage = residual.data_ptr();
  fused.forward_add_relu(input, residual);
  EXPECT_EQ(residual.data_ptr(), storage) << "not written in place";

  torch::Tensor expected = torch::conv2d(
      input, conv->weight.to(torch::kBFloat16).contiguous(torch::MemoryFormat::ChannelsLast),
      conv->bias.to(torch::kBFloat16));
  expected.add_(residual_before).relu_();
  const double difference =
      (residual.to(torch::kFloat) - expected.to(torch::kFloat)).abs().max().item<double>();
  const double range = expected.to(torch::kFloat).abs().max().item<double>();
  EXPECT_LE(difference, std::ldexp(range, -7)) << "largest difference " << difference;
  EXPECT_GE(residual.min().item<float>(), 0.0f);

  // A residual of another shape or type is refused, not overrun.
  torch::Tensor wrong_shape = channels_last_bf16(torch::zeros({1, 64, 9, 10}));
  EXPECT_THROW(fused.forward_add_relu(input, wrong_shape), c10::Error);
  torch::Tensor wrong_type =
      torch::zeros({1, 64, 9, 11}).contiguous(torch::MemoryFormat::ChannelsLast);
  EXPECT_THROW(fused.forward_add_relu(input, wrong_type), c10::Error);
  EXPECT_THROW(fused.forward(input), c10::Error) << "an add-ReLU convolution has no plain forward";
}

// Inputs the fused path does not compute are left to LibTorch's operators by the callers.
TEST(FusedConvolution, AcceptsOnlyBf16ChannelsLastInputsWithoutGradients) {
  torch::nn::Conv2d conv = make_conv({8, 4, 3, 1, 1, 1, true});
  const FusedConvolution fused(*conv, ConvEpilogue::kRelu);
  const torch::Tensor good = channels_last_bf16(torch::randn({1, 8, 5, 6}));
  {
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(fused.accepts(good));
    EXPECT_FALSE(fused.accepts(good.to(torch::kFloat))) << "fp32";
    EXPECT_FALSE(fused.accepts(good.contiguous())) << "NCHW";
    EXPECT_FALSE(fused.accepts(channels_last_bf16(torch::randn({1, 6, 5, 6})))) << "channels";
    EXPECT_FALSE(fused.accepts(good.unsqueeze(0))) << "5-D";
  }
  EXPECT_FALSE(fused.accepts(good)) << "with gradients on";
  torch::nn::Conv2d grouped(torch::nn::Conv2dOptions(8, 8, 3).groups(2));
  EXPECT_THROW(FusedConvolution(*grouped, ConvEpilogue::kNone), std::invalid_argument);
}

// Many input sizes (more than the plans kept) and concurrent callers on one convolution.
TEST(FusedConvolution, ManySizesAndConcurrentCallers) {
  SKIP_WITHOUT_NATIVE_BF16();
  torch::manual_seed(7);
  torch::nn::Conv2d conv = make_conv({16, 8, 3, 1, 1, 1, true});
  const FusedConvolution fused(*conv, ConvEpilogue::kRelu);
  const torch::Tensor weight =
      conv->weight.to(torch::kBFloat16).contiguous(torch::MemoryFormat::ChannelsLast);
  const torch::Tensor bias = conv->bias.to(torch::kBFloat16);
  const auto check = [&](int64_t size, int* failures) {
    c10::InferenceMode inference;
    const torch::Tensor input = channels_last_bf16(torch::randn({1, 16, size, size + 1}));
    const torch::Tensor ours = fused.forward(input).to(torch::kFloat);
    const torch::Tensor reference =
        torch::conv2d(input, weight, bias, 1, 1).relu().to(torch::kFloat);
    if (!torch::allclose(ours, reference, 1e-2, 1e-2)) ++*failures;
  };
  int failures = 0;
  for (int64_t size = 3; size < 24; ++size) check(size, &failures);
  EXPECT_EQ(failures, 0) << "sizes computed wrongly";
  std::vector<int> thread_failures(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int64_t size = 5; size < 15; ++size) check(size + t, &thread_failures[t]);
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(thread_failures[t], 0) << "thread " << t;
}

uint16_t bits_of(c10::BFloat16 value) { return value.x; }

// add_relu_bf16 is relu(a + b) in float, rounded to bf16 (nearest, ties to even) as LibTorch
// rounds: compared bit for bit with LibTorch's own float -> bf16 conversion, at lengths that
// take the vector loop and the scalar tail, with negative sums, NaN and infinities.
TEST(AddReluKernel, EqualsLibTorchBitForBit) {
  torch::manual_seed(8);
  for (const int64_t count : {1, 15, 16, 100, 4099}) {
    torch::Tensor a = (torch::randn({count}) * 3).to(torch::kBFloat16);
    torch::Tensor b = (torch::randn({count}) * 3).to(torch::kBFloat16);
    if (count >= 16) {
      a[3] = std::numeric_limits<float>::quiet_NaN();
      a[4] = std::numeric_limits<float>::infinity();
      b[5] = -std::numeric_limits<float>::infinity();
      // A tie: 1 + 2^-8 is halfway between two bf16 values; to even gives 1.
      a[6] = 1.0f;
      b[6] = std::ldexp(1.0f, -8);
    }
    const torch::Tensor expected =
        (a.to(torch::kFloat) + b.to(torch::kFloat)).relu().to(torch::kBFloat16);
    torch::Tensor ours = a.clone();
    add_relu_bf16(reinterpret_cast<uint16_t*>(ours.data_ptr()),
                  reinterpret_cast<const uint16_t*>(b.data_ptr()), count);
    const auto* got = ours.data_ptr<c10::BFloat16>();
    const auto* want = expected.data_ptr<c10::BFloat16>();
    int64_t mismatches = 0;
    for (int64_t i = 0; i < count; ++i) {
      const bool both_nan =
          std::isnan(static_cast<float>(got[i])) && std::isnan(static_cast<float>(want[i]));
      if (!both_nan && bits_of(got[i]) != bits_of(want[i])) ++mismatches;
    }
    EXPECT_EQ(mismatches, 0) << "count " << count;
    if (count >= 16) {
      EXPECT_TRUE(std::isnan(static_cast<float>(got[3]))) << "NaN must pass through";
      EXPECT_EQ(static_cast<float>(got[6]), 1.0f) << "ties round to even";
    }
  }
}

// The ResNet-50 models prepared for bf16 inference with and without fused convolutions give
// the same logits within bf16 rounding, and fusion reaches every bottleneck and ASPP.
TEST(FuseConvolutions, ResNetModelsMatchTheUnfusedPath) {
  SKIP_WITHOUT_NATIVE_BF16();
  struct Expected {
    const char* name;
    int64_t fused;  // 16 bottlenecks: 16 x 3 + 4 downsampling; ASPP: 4 branches + projection
  };
  for (const Expected& model_case :
       {Expected{"deeplabv3_resnet50", 57}, Expected{"fcn_resnet50", 52}}) {
    const std::string name = model_case.name;
    ModelOptions options;
    options.num_classes = 5;
    torch::manual_seed(9);
    ModelPtr plain = create_model(name, options);
    torch::manual_seed(9);
    ModelPtr fused = create_model(name, options);
    // Non-trivial normalisations, so that folding them matters.
    for (ModelPtr* model : {&plain, &fused}) {
      torch::NoGradGuard no_grad;
      torch::manual_seed(10);
      for (auto& buffer : (*model)->named_buffers()) {
        if (buffer.key().find("running_mean") != std::string::npos) buffer.value().normal_(0, 0.1);
        if (buffer.key().find("running_var") != std::string::npos)
          buffer.value().uniform_(0.5, 1.5);
      }
    }
    const auto plain_prepared =
        prepare_for_inference(*plain, {torch::kCPU, true, true, true, false});
    const auto fused_prepared =
        prepare_for_inference(*fused, {torch::kCPU, true, true, true, true});
    EXPECT_EQ(plain_prepared.convolutions_fused, 0) << name;
    EXPECT_EQ(fused_prepared.convolutions_fused, model_case.fused) << name;

    c10::InferenceMode inference;
    const torch::Tensor images =
        torch::randn({2, 3, 72, 96}).contiguous(torch::MemoryFormat::ChannelsLast);
    const CpuBf16Autocast autocast(true);
    const torch::Tensor expected = plain->forward(images).to(torch::kFloat);
    const torch::Tensor ours = fused->forward(images).to(torch::kFloat);
    const double range = expected.abs().max().item<double>();
    const double difference = (ours - expected).abs().max().item<double>();
    EXPECT_LE(difference, 0.02 * range) << name << ": largest difference " << difference;
    const double agreement =
        ours.argmax(1).eq(expected.argmax(1)).to(torch::kFloat).mean().item<double>();
    EXPECT_GE(agreement, 0.99) << name;
  }
}

}  // namespace
}  // namespace fashionseg::models

namespace fashionseg::models {
namespace {

// Every output pixel belongs to exactly one tile's 2x2 block, at any size and dilation.
TEST(WinogradTiles, CoverEveryOutputOnce) {
  for (const int dilation : {1, 2, 3, 4, 12}) {
    for (const auto& [height, width] :
         std::vector<std::pair<int, int>>{{1, 1}, {5, 7}, {13, 17}, {64, 64}}) {
      std::vector<int> covered(static_cast<size_t>(2 * height * width), 0);
      for (const WinogradTile& tile : winograd_tiles(2, height, width, dilation)) {
        for (int i = 0; i < 2; ++i) {
          for (int j = 0; j < 2; ++j) {
            const int y = tile.y + i * dilation, x = tile.x + j * dilation;
            if (y < height && x < width) ++covered[(tile.image * height + y) * width + x];
          }
        }
      }
      const auto wrong =
          std::count_if(covered.begin(), covered.end(), [](int n) { return n != 1; });
      EXPECT_EQ(wrong, 0) << height << "x" << width << " dilation " << dilation;
    }
  }
}

// Winograd's F(2x2, 3x3) against the exact convolution of the same bf16 inputs and weights: the
// transformed inputs and weights are rounded to bf16 once more each, so the error is a few
// times the direct bf16 convolution's (relative RMS about 0.45% against 0.17%, measured); the
// bound leaves a margin but fails a wrong transform, tap or tile by orders of magnitude. Sizes
// with partial tiles, dilations 1, 2 and 4, two images, and more tiles than one round holds.
TEST(Winograd, MatchesTheExactConvolution) {
  SKIP_WITHOUT_NATIVE_BF16();
  torch::manual_seed(11);
  c10::InferenceMode inference;
  struct Case {
    int64_t in_channels, out_channels, dilation, height, width;
    bool bias;
    ConvEpilogue epilogue;
  };
  for (const Case& c : {Case{128, 128, 1, 40, 36, true, ConvEpilogue::kRelu},
                        Case{256, 128, 2, 16, 18, false, ConvEpilogue::kNone},
                        Case{128, 256, 4, 33, 31, true, ConvEpilogue::kRelu}}) {
    torch::nn::Conv2d conv =
        make_conv({c.in_channels, c.out_channels, 3, 1, c.dilation, c.dilation, c.bias});
    const FusedConvolution fused(*conv, c.epilogue);
    const std::string name = std::to_string(c.in_channels) + "->" + std::to_string(c.out_channels) +
                             " d" + std::to_string(c.dilation) + " " + std::to_string(c.height) +
                             "x" + std::to_string(c.width);
    ASSERT_EQ(fused.algorithm(2, c.height, c.width), "winograd") << name;
    const torch::Tensor input =
        channels_last_bf16(torch::randn({2, c.in_channels, c.height, c.width}));
    const torch::Tensor ours = fused.forward(input).to(torch::kDouble);
    torch::Tensor exact = torch::conv2d(
        input.to(torch::kDouble), conv->weight.to(torch::kBFloat16).to(torch::kDouble),
        c.bias ? conv->bias.to(torch::kBFloat16).to(torch::kDouble) : torch::Tensor(), 1,
        c.dilation, c.dilation);
    if (c.epilogue == ConvEpilogue::kRelu) exact = exact.relu();
    ASSERT_EQ(ours.sizes(), exact.sizes()) << name;
    const double scale = exact.pow(2).mean().sqrt().item<double>();
    const double rms = (ours - exact).pow(2).mean().sqrt().item<double>() / scale;
    const double largest = (ours - exact).abs().max().item<double>() / scale;
    EXPECT_LE(rms, 0.01) << name << ": relative RMS error";
    EXPECT_LE(largest, 0.08) << name << ": largest error relative to the RMS output";
  }
}

// Where Winograd's tiles would compute mostly padding (ASPP's rate 24 on a 64 x 64 map), and
// for few channels, the direct convolution runs.
TEST(Winograd, ChosenOnlyWhereItPays) {
  SKIP_WITHOUT_NATIVE_BF16();
  torch::nn::Conv2d atrous = make_conv({256, 128, 3, 1, 24, 24, true});
  EXPECT_EQ(FusedConvolution(*atrous, ConvEpilogue::kRelu).algorithm(1, 64, 64), "direct");
  torch::nn::Conv2d narrow = make_conv({64, 64, 3, 1, 1, 1, true});
  EXPECT_EQ(FusedConvolution(*narrow, ConvEpilogue::kRelu).algorithm(1, 64, 64), "direct");
  torch::nn::Conv2d strided = make_conv({128, 128, 3, 2, 1, 1, true});
  EXPECT_EQ(FusedConvolution(*strided, ConvEpilogue::kRelu).algorithm(1, 64, 64), "direct");
  torch::nn::Conv2d dense = make_conv({128, 128, 3, 1, 1, 1, true});
  EXPECT_EQ(FusedConvolution(*dense, ConvEpilogue::kRelu).algorithm(1, 64, 64), "winograd");
}

}  // namespace
}  // namespace fashionseg::models
