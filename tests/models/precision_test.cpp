// bf16 autocast: every registered model's logits stay close to fp32 (the accuracy guard of
// `--precision bf16`/`auto`; the bundled model's figures on real photos are in
// docs/model-card.md), the guard leaves autocast as it found it, and the precision names
// resolve as documented.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "fashionseg/core/error.h"
#include "fashionseg/core/precision.h"
#include "fashionseg/torch/cpu_autocast.h"
#include "fashionseg/torch/model_registry.h"

namespace fashionseg {
namespace {

/// The models that precision `auto` runs in bf16.
std::vector<std::string> bf16_models() {
  std::vector<std::string> names;
  for (const auto& info : list_models()) {
    if (info.bf16_helps) names.push_back(info.name);
  }
  return names;
}

class Bf16 : public ::testing::TestWithParam<std::string> {};

// bfloat16 keeps 8 significant bits (relative rounding 2^-9 = 0.2%) per operation; through
// tens of layers the logits drift by a few percent of their range. The bound: 5% of the
// largest fp32 logit, and the argmax agreeing on 90% of pixels of random-weight models
// (whose logits are close together, the hardest case for agreement).
TEST_P(Bf16, LogitsStayCloseToFp32) {
  const std::string name = GetParam();
  torch::manual_seed(21);
  ModelOptions options;
  options.num_classes = 6;
  if (name == "segnet_vgg16") options.width_multiplier = 0.25;
  if (name == "unet") options.base_width = 16;
  ModelPtr model = create_model(name, options);
  model->eval();
  c10::InferenceMode inference;
  const torch::Tensor images = torch::randn({2, 3, 96, 64});
  const torch::Tensor fp32 = model->forward(images);
  torch::Tensor bf16;
  {
    const CpuBf16Autocast autocast(true);
    bf16 = model->forward(images);
  }
  EXPECT_EQ(bf16.scalar_type(), torch::kBFloat16) << name << ": autocast did not reach the model";
  const double range = fp32.abs().max().item<double>();
  const double error = (bf16.to(torch::kFloat) - fp32).abs().max().item<double>();
  EXPECT_LE(error, 0.05 * range) << name << ": largest difference " << error << " of " << range;
  const double agreement =
      bf16.argmax(1).eq(fp32.argmax(1)).to(torch::kFloat).mean().item<double>();
  EXPECT_GE(agreement, 0.9) << name;
  std::cout << name << ": max |bf16 - fp32| = " << error / range
            << " of the range, argmax agreement " << agreement << "\n";
}

// Storing the convolution and linear weights in bf16 (what the Segmenter does before bf16
// inference) saves autocast's casts and changes no value: those layers compute in bf16 under
// autocast either way, so the logits must be bit for bit the same.
TEST_P(Bf16, WeightsStoredInBf16GiveTheSameLogits) {
  const std::string name = GetParam();
  torch::manual_seed(22);
  ModelOptions options;
  options.num_classes = 5;
  if (name == "unet") options.base_width = 16;
  ModelPtr model = create_model(name, options);
  prepare_for_inference(*model, {torch::kCPU, /*channels_last=*/true, /*fold_batch_norms=*/true,
                                 /*bf16_weights=*/false});
  c10::InferenceMode inference;
  const torch::Tensor images =
      torch::randn({1, 3, 64, 96}).contiguous(torch::MemoryFormat::ChannelsLast);
  const CpuBf16Autocast autocast(true);
  const torch::Tensor cast_each_pass = model->forward(images);
  EXPECT_GT(store_autocast_weights_in_bf16(*model), 0) << name;
  int64_t bf16_parameters = 0;
  for (const auto& parameter : model->parameters()) {
    bf16_parameters += parameter.scalar_type() == torch::kBFloat16 ? 1 : 0;
  }
  EXPECT_GT(bf16_parameters, 0) << name;
  const torch::Tensor stored = model->forward(images);
  EXPECT_TRUE(torch::equal(stored, cast_each_pass))
      << name << ": largest difference "
      << (stored.to(torch::kFloat) - cast_each_pass.to(torch::kFloat)).abs().max().item<double>();
}

INSTANTIATE_TEST_SUITE_P(Registry, Bf16, ::testing::ValuesIn(bf16_models()),
                         [](const auto& info) { return info.param; });

// SegNet unpools with the indices of its max-pooling: bf16 rounding changes which input wins
// a pooling window, and the decoder then puts features elsewhere (measured: 28% of the logit
// range, 83% argmax agreement on random weights). Precision auto keeps it in fp32.
TEST(Bf16Exceptions, SegNetStaysFp32) {
  EXPECT_FALSE(find_model("segnet_vgg16").bf16_helps);
  EXPECT_FALSE(resolve_bf16("auto", find_model("segnet_vgg16").bf16_helps, "cpu"));
  EXPECT_GE(bf16_models().size(), list_models().size() - 1);
}

TEST(CpuBf16Autocast, RestoresTheThreadsStateAndDoesNothingWhenOff) {
  ASSERT_FALSE(at::autocast::is_cpu_enabled());
  {
    const CpuBf16Autocast off(false);
    EXPECT_FALSE(at::autocast::is_cpu_enabled());
    EXPECT_EQ(torch::matmul(torch::ones({2, 2}), torch::ones({2, 2})).scalar_type(), torch::kFloat);
  }
  {
    const CpuBf16Autocast on(true);
    EXPECT_TRUE(at::autocast::is_cpu_enabled());
    EXPECT_EQ(torch::matmul(torch::ones({2, 2}), torch::ones({2, 2})).scalar_type(),
              torch::kBFloat16);
    {
      const CpuBf16Autocast nested(true);
      EXPECT_TRUE(at::autocast::is_cpu_enabled());
    }
    EXPECT_TRUE(at::autocast::is_cpu_enabled());
  }
  EXPECT_FALSE(at::autocast::is_cpu_enabled());
}

TEST(Precision, NamesResolveAsDocumented) {
  EXPECT_FALSE(resolve_bf16("fp32", true, "cpu"));
  EXPECT_TRUE(resolve_bf16("bf16", false, "cpu"));
  EXPECT_EQ(resolve_bf16("auto", true, "cpu"), cpu_has_native_bf16());
  EXPECT_FALSE(resolve_bf16("auto", false, "cpu"));
  EXPECT_FALSE(resolve_bf16("auto", true, "cuda"));
  EXPECT_THROW(resolve_bf16("bf16", true, "cuda:0"), Error);
  EXPECT_THROW(resolve_bf16("half", true, "cpu"), Error);
}

}  // namespace
}  // namespace fashionseg
