// The image-level category head every registered model can carry: its logits are the pooled
// deepest features through one linear layer (checked by recomputing them from the model's own
// features and weights), it learns through the backbone, it starts at a 0.1 prior, adding it
// leaves the rest of the model as it was, and weights without a head load into a model with
// one (and back) only when the head is declared optional.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <vector>

#include "fashionseg/core/error.h"
#include "fashionseg/torch/checkpoint.h"
#include "fashionseg/torch/model_registry.h"
#include "fashionseg/torch/state_dict.h"
#include "support/test_support.h"
#include "train/self_training.h"

namespace fashionseg {
namespace {

ModelOptions quick_options(const std::string& name, bool head) {
  ModelOptions options;
  options.num_classes = 6;
  options.category_head = head;
  if (name == "segnet_vgg16") options.width_multiplier = 0.125;
  if (name == "unet") options.base_width = 8;
  if (name == "deeplabv3_resnet50" || name == "deeplabv3_mobilenet_v3_large") {
    options.width_multiplier = 0.125;
  }
  return options;
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& info : list_models()) names.push_back(info.name);
  return names;
}

class CategoryHead : public ::testing::TestWithParam<std::string> {};

TEST_P(CategoryHead, LogitsArePooledDeepestFeaturesThroughOneLinearLayer) {
  const std::string name = GetParam();
  torch::manual_seed(3);
  ModelPtr model = create_model(name, quick_options(name, true));
  ASSERT_TRUE(model->has_category_head());
  model->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor images = torch::randn({2, 3, 45, 37});
  const ModelOutput output = model->forward_all(images);
  ASSERT_TRUE(output.categories.defined()) << name;
  ASSERT_EQ(output.categories.sizes(), (std::vector<int64_t>{2, 6})) << name;
  ASSERT_TRUE(output.features.defined()) << name;
  const StateDict state = named_state(*model);
  const torch::Tensor weight = state["category_head.weight"];
  const torch::Tensor bias = state["category_head.bias"];
  ASSERT_EQ(weight.size(1), output.features.size(1)) << name;
  const torch::Tensor expected = torch::addmm(bias, output.features.mean({2, 3}), weight.t());
  EXPECT_TRUE(torch::allclose(output.categories, expected, 1e-5, 1e-5)) << name;
  // Fresh biases: a prior of 0.1 per class.
  EXPECT_TRUE(torch::allclose(bias, torch::full_like(bias, std::log(0.1 / 0.9)))) << name;
}

TEST_P(CategoryHead, AddingItChangesNothingElse) {
  const std::string name = GetParam();
  torch::manual_seed(5);
  ModelPtr plain = create_model(name, quick_options(name, false));
  torch::manual_seed(5);
  ModelPtr headed = create_model(name, quick_options(name, true));
  EXPECT_FALSE(plain->has_category_head());
  const StateDict a = named_state(*plain), b = named_state(*headed);
  ASSERT_EQ(b.size(), a.size() + 2) << name;
  for (const auto& item : a) {
    ASSERT_NE(b.find(item.key()), nullptr) << item.key();
    // The channel probe runs in eval mode: BatchNorm statistics stay as built.
    EXPECT_TRUE(torch::equal(item.value(), b[item.key()])) << name << ": " << item.key();
  }
  plain->eval();
  headed->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor images = torch::randn({1, 3, 40, 32});
  EXPECT_FALSE(plain->forward_all(images).categories.defined());
  EXPECT_TRUE(torch::equal(plain->forward(images), headed->forward(images))) << name;
}

INSTANTIATE_TEST_SUITE_P(Registry, CategoryHead, ::testing::ValuesIn(model_names()),
                         [](const auto& info) { return info.param; });

TEST(CategoryHeadTraining, TheCategoryLossAloneReachesTheBackbone) {
  torch::manual_seed(9);
  ModelPtr model = create_model("lraspp_mobilenet_v3_large", quick_options("lraspp", true));
  model->train();
  const ModelOutput output = model->forward_all(torch::randn({2, 3, 64, 48}));
  const torch::Tensor targets =
      torch::tensor({{0.f, 1.f, 0.f, 1.f, 0.f, 0.f}, {0.f, 0.f, 1.f, 0.f, 0.f, 1.f}});
  category_loss(output.categories, targets, torch::ones_like(targets)).backward();
  const auto parameters = model->named_parameters();
  EXPECT_GT(parameters["category_head.weight"].grad().abs().sum().item<double>(), 0.0);
  EXPECT_GT(parameters["backbone.0.0.weight"].grad().abs().sum().item<double>(), 0.0);
  // The pixel classifier played no part.
  const torch::Tensor classifier_grad = parameters["classifier.cbr.0.weight"].grad();
  EXPECT_TRUE(!classifier_grad.defined() || classifier_grad.abs().sum().item<double>() == 0.0);
}

TEST(CategoryHeadWeights, OptionalPrefixLoadsWeightsWithOrWithoutTheHead) {
  torch::manual_seed(1);
  ModelPtr plain = create_model("unet", quick_options("unet", false));
  ModelPtr headed = create_model("unet", quick_options("unet", true));
  const torch::Tensor head_before = named_state(*headed)["category_head.weight"].clone();
  // Strict loading names the head's keys.
  try {
    load_state(*headed, named_state(*plain), LoadStateOptions{});
    ADD_FAILURE() << "strict loading accepted weights without the head";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("category_head.weight"), std::string::npos) << e.message();
  }
  LoadStateOptions optional;
  optional.optional_prefixes = {"category_head."};
  const LoadReport into_headed = load_state(*headed, named_state(*plain), optional);
  EXPECT_EQ(into_headed.kept.size(), 2u);
  EXPECT_TRUE(torch::equal(named_state(*headed)["category_head.weight"], head_before));
  EXPECT_TRUE(torch::equal(named_state(*headed)["classifier.weight"],
                           named_state(*plain)["classifier.weight"]));
  const LoadReport into_plain = load_state(*plain, named_state(*headed), optional);
  EXPECT_EQ(into_plain.ignored.size(), 2u);
  EXPECT_TRUE(into_plain.missing.empty());
}

TEST(CategoryHeadWeights, CheckpointKeepsTheHeadAndTheCalibratedRule) {
  test::TempDir dir;
  torch::manual_seed(2);
  ModelOptions options = quick_options("unet", true);
  ModelPtr model = create_model("unet", options);
  Checkpoint checkpoint = make_checkpoint("unet", options, *model);
  checkpoint.category_rule = CategoryThresholds::defaults(6, 0.002);
  checkpoint.category_rule.temperature = 1.5;
  checkpoint.category_rule.min_probability[3] = 0.35;
  checkpoint.category_rule.calibrated = true;
  save_checkpoint(checkpoint, dir / "head.fsm");
  const LoadedModel loaded = load_model(dir / "head.fsm");
  EXPECT_TRUE(loaded.checkpoint.options.category_head);
  EXPECT_TRUE(loaded.model->has_category_head());
  const CategoryThresholds& rule = loaded.checkpoint.category_rule;
  ASSERT_EQ(rule.num_classes(), 6);
  EXPECT_DOUBLE_EQ(rule.temperature, 1.5);
  EXPECT_DOUBLE_EQ(rule.min_probability[3], 0.35);
  EXPECT_DOUBLE_EQ(rule.min_area[2], 0.002);
  EXPECT_TRUE(rule.calibrated);
  // A file without a rule reads back without one.
  checkpoint.category_rule = {};
  save_checkpoint(checkpoint, dir / "plain.fsm");
  EXPECT_EQ(load_checkpoint(dir / "plain.fsm").category_rule.num_classes(), 0);
}

}  // namespace
}  // namespace fashionseg
