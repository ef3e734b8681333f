// Golden parity of SegNet's encoder with torchvision's vgg16_bn().features: the same weights,
// loaded by name from torchvision's keys, give the same features on an odd-sized input.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fashionseg/torch/model_registry.h"
#include "fashionseg/torch/state_dict.h"
#include "models/backbones/vgg.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

TEST(GoldenSegNetEncoder, FeaturesEqualTorchvisionVgg16Bn) {
  test::TempDir dir;
  const auto script = (test::source_dir() / "tests/golden/make_golden.py").string();
  const auto generated = test::run_command(
      test::shell_quote(test::python()) + " " + test::shell_quote(script) + " generate " +
      test::shell_quote(dir.path().string()) + " vgg16_bn_features");
  ASSERT_EQ(generated.exit_code, 0) << generated.output;

  ModelOptions options;
  options.num_classes = 5;
  ModelPtr model = create_model("segnet_vgg16", options);
  // Only the encoder has torchvision counterparts: every "features." key must load, the
  // decoder keeps its initialisation.
  LoadStateOptions load;
  load.required_prefix = "features.";
  const LoadReport report =
      load_state(*model, read_state_file(dir / "vgg16_bn_features.weights.pt"), load);
  EXPECT_EQ(report.loaded.size(), 13u * 7u);  // 13 x (conv weight, bias + 5 BN tensors)
  EXPECT_TRUE(report.ignored.empty());
  model->eval();

  auto* encoder = model->named_children()["features"]->as<models::Vgg16BnFeaturesImpl>();
  ASSERT_NE(encoder, nullptr);
  const StateDict io = read_state_file(dir / "vgg16_bn_features.io.pt");
  torch::NoGradGuard no_grad;
  const torch::Tensor features = encoder->forward(io["input"]).output;
  ASSERT_EQ(features.sizes(), io["out"].sizes());
  EXPECT_LE((features - io["out"]).abs().max().item<double>(), 1e-4);
}

}  // namespace
}  // namespace fashionseg
