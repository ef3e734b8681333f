// Losses: values against an independent Python implementation, hand-computed cases, finite
// values and gradients when classes are absent or every pixel is ignored, the spec parser.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "fashionseg/core/error.h"
#include "losses/losses.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

constexpr int64_t B = 2, C = 5, H = 7, W = 9;

struct Batch {
  torch::Tensor logits, target;
};

Batch random_batch() {
  torch::manual_seed(3);
  Batch batch;
  batch.logits = torch::randn({B, C, H, W}) * 2;
  batch.target = torch::randint(0, C - 1, {B, H, W}, torch::kInt64);  // class 4 absent
  batch.target.masked_fill_(torch::rand({B, H, W}) < 0.1, 255);
  return batch;
}

nlohmann::json python_reference(const Batch& batch, const std::vector<float>& weights,
                                const std::vector<float>& alpha) {
  test::TempDir dir;
  const torch::Tensor logits = batch.logits.contiguous();
  const torch::Tensor target = batch.target.contiguous();
  std::ofstream(dir / "l.bin", std::ios::binary)
      .write(reinterpret_cast<const char*>(logits.data_ptr<float>()), logits.numel() * 4);
  std::ofstream(dir / "t.bin", std::ios::binary)
      .write(reinterpret_cast<const char*>(target.data_ptr<int64_t>()), target.numel() * 8);
  auto join = [](const std::vector<float>& v) {
    std::string s;
    for (float x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
    return s;
  };
  const auto result = test::run_command(
      test::python() + " " + (test::source_dir() / "tests/train/losses_reference.py").string() +
      " " + (dir / "l.bin").string() + " " + (dir / "t.bin").string() + " " + std::to_string(B) +
      " " + std::to_string(C) + " " + std::to_string(H) + " " + std::to_string(W) + " " +
      join(weights) + " " + join(alpha));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return nlohmann::json::parse(result.output);
}

TEST(Losses, MatchIndependentPythonImplementation) {
  const Batch batch = random_batch();
  const std::vector<float> weights{0.2f, 1.0f, 2.0f, 0.5f, 3.0f};
  const std::vector<float> alpha{0.25f, 0.5f, 0.75f, 1.0f, 1.0f};
  const auto ref = python_reference(batch, weights, alpha);

  LossOptions plain;
  EXPECT_NEAR(cross_entropy_loss(batch.logits, batch.target, plain).item<double>(),
              ref["ce"].get<double>(), 1e-5);
  LossOptions weighted;
  weighted.class_weights = weights;
  EXPECT_NEAR(cross_entropy_loss(batch.logits, batch.target, weighted).item<double>(),
              ref["ce_weighted"].get<double>(), 1e-5);
  LossOptions smoothed;
  smoothed.label_smoothing = 0.1;
  EXPECT_NEAR(cross_entropy_loss(batch.logits, batch.target, smoothed).item<double>(),
              ref["ce_smoothed"].get<double>(), 1e-5);
  LossOptions focal;
  focal.focal_alpha = alpha;
  EXPECT_NEAR(focal_loss(batch.logits, batch.target, focal).item<double>(),
              ref["focal"].get<double>(), 1e-5);
  EXPECT_NEAR(soft_dice_loss(batch.logits, batch.target, plain).item<double>(),
              ref["dice"].get<double>(), 1e-5);
  EXPECT_NEAR(generalized_dice_loss(batch.logits, batch.target, plain).item<double>(),
              ref["gdice"].get<double>(), 1e-5);
  EXPECT_NEAR(lovasz_softmax_loss(batch.logits, batch.target, plain).item<double>(),
              ref["lovasz"].get<double>(), 1e-5);
}

TEST(Losses, FocalWithGammaZeroIsCrossEntropy) {
  const Batch batch = random_batch();
  LossOptions options;
  options.focal_gamma = 0;
  EXPECT_NEAR(focal_loss(batch.logits, batch.target, options).item<double>(),
              cross_entropy_loss(batch.logits, batch.target, options).item<double>(), 1e-5);
}

TEST(Losses, HandComputedSinglePixel) {
  // Two classes, logits (0, ln 3): p = (1/4, 3/4); target 1.
  const torch::Tensor logits = torch::tensor({0.0f, std::log(3.0f)}).view({1, 2, 1, 1});
  const torch::Tensor target = torch::ones({1, 1, 1}, torch::kInt64);
  LossOptions options;
  EXPECT_NEAR(cross_entropy_loss(logits, target, options).item<double>(), -std::log(0.75), 1e-6);
  EXPECT_NEAR(focal_loss(logits, target, options).item<double>(), -0.25 * 0.25 * std::log(0.75),
              1e-6);
  // Dice over present class 1 with smooth 1: (2*0.75 + 1) / (0.75 + 1 + 1).
  EXPECT_NEAR(soft_dice_loss(logits, target, options).item<double>(), 1 - 2.5 / 2.75, 1e-6);
  // Lovasz for one pixel of class 1: error 0.25, gradient 1.
  EXPECT_NEAR(lovasz_softmax_loss(logits, target, options).item<double>(), 0.25, 1e-6);
}

TEST(Losses, AllIgnoredOrAbsentClassesStayFiniteWithGradients) {
  for (const char* spec : {"ce", "focal", "dice", "gdice", "lovasz", "ce+dice"}) {
    torch::Tensor logits = torch::randn({1, 3, 4, 4}, torch::requires_grad());
    const torch::Tensor ignored = torch::full({1, 4, 4}, 255, torch::kInt64);
    auto loss = create_loss(spec, LossOptions{}, 3);
    torch::Tensor value = (*loss)(logits, ignored);
    if (std::string(spec) != "ce" && std::string(spec) != "ce+dice") {
      // torch's CE returns NaN (0/0) on an all-ignored batch; the others must not.
      EXPECT_TRUE(std::isfinite(value.item<double>())) << spec;
      value.backward();
      EXPECT_TRUE(torch::isfinite(logits.grad()).all().item<bool>()) << spec;
    }
    torch::Tensor logits2 = torch::randn({1, 3, 4, 4}, torch::requires_grad());
    const torch::Tensor one_class = torch::zeros({1, 4, 4}, torch::kInt64);
    torch::Tensor value2 = (*loss)(logits2, one_class);
    EXPECT_TRUE(std::isfinite(value2.item<double>())) << spec;
    value2.backward();
    EXPECT_TRUE(torch::isfinite(logits2.grad()).all().item<bool>()) << spec;
    EXPECT_GT(logits2.grad().abs().sum().item<double>(), 0) << spec;
  }
}

TEST(Losses, IgnoredPixelsGetNoGradient) {
  torch::Tensor logits = torch::randn({1, 3, 2, 2}, torch::requires_grad());
  torch::Tensor target = torch::tensor({0, 1, 2, 255}, torch::kInt64).view({1, 2, 2});
  auto loss = create_loss("ce+focal+dice+lovasz", LossOptions{}, 3);
  (*loss)(logits, target).backward();
  EXPECT_EQ(logits.grad().index({0, torch::indexing::Slice(), 1, 1}).abs().sum().item<double>(),
            0.0);
}

TEST(Losses, SpecParsingAndValidation) {
  const Batch batch = random_batch();
  auto combined = create_loss("ce+0.5*dice", LossOptions{}, C);
  const LossOptions defaults;
  const double expected = cross_entropy_loss(batch.logits, batch.target, defaults).item<double>() +
                          0.5 * soft_dice_loss(batch.logits, batch.target, defaults).item<double>();
  EXPECT_NEAR((*combined)(batch.logits, batch.target).item<double>(), expected, 1e-5);
  EXPECT_EQ(combined->name(), "ce+0.5*dice");
  try {
    create_loss("ce+bogus", LossOptions{}, C);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("lovasz"), std::string::npos);  // lists valid names
  }
  EXPECT_THROW(create_loss("-1*ce", LossOptions{}, C), Error);
  EXPECT_THROW(create_loss("", LossOptions{}, C), Error);
  LossOptions wrong;
  wrong.class_weights = {1, 2};
  EXPECT_THROW(create_loss("ce", wrong, C), Error);
}

}  // namespace
}  // namespace fashionseg
