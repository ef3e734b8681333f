// LR-ASPP's detail decoder (model.detail_decoder): its correction is the DeepLabV3+-style
// computation written out with functional ops from its own weights, it starts as a zero
// correction (a trained LR-ASPP gains it and answers exactly as before), it adds exactly the
// parameters its layers have, it learns, only LR-ASPP reads the knob, and export-weights
// refuses a model with it (torchvision's LR-ASPP could not reproduce its masks).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "fashionseg/core/error.h"
#include "fashionseg/torch/checkpoint.h"
#include "fashionseg/torch/model_registry.h"
#include "fashionseg/torch/state_dict.h"
#include "models/heads/detail_decoder.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

constexpr const char* kLraspp = "lraspp_mobilenet_v3_large";

ModelOptions lraspp_options(bool decoder) {
  ModelOptions options;
  options.num_classes = 5;
  options.detail_decoder = decoder;
  return options;
}

/// BatchNorm in eval mode from the state dict's running statistics.
torch::Tensor batch_norm_eval(const torch::Tensor& x, const StateDict& state,
                              const std::string& prefix) {
  return torch::batch_norm(x, state[prefix + ".weight"], state[prefix + ".bias"],
                           state[prefix + ".running_mean"], state[prefix + ".running_var"],
                           /*training=*/false, 0.1, 1e-5, /*cudnn_enabled=*/false);
}

TEST(DetailDecoder, CorrectionIsTheDeepLabV3PlusComputationOfItsWeights) {
  torch::manual_seed(4);
  models::DetailDecoder decoder(24, 5);
  {
    // Training-like state: nonzero correction weights and BatchNorm statistics.
    torch::NoGradGuard no_grad;
    for (auto& parameter : decoder->parameters()) parameter.normal_(0.0, 0.3);
    for (auto& buffer : decoder->named_buffers()) {
      if (buffer.key().find("running_var") != std::string::npos) buffer.value().uniform_(0.5, 2);
      if (buffer.key().find("running_mean") != std::string::npos) buffer.value().normal_();
    }
  }
  decoder->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor coarse = torch::randn({2, 5, 6, 4});
  const torch::Tensor detail = torch::randn({2, 24, 12, 8});
  const torch::Tensor got = decoder->forward(coarse, detail);

  const StateDict s = named_state(*decoder);
  namespace F = torch::nn::functional;
  const torch::Tensor projected =
      torch::relu(batch_norm_eval(torch::conv2d(detail, s["project.0.weight"]), s, "project.1"));
  const torch::Tensor upsampled = F::interpolate(coarse, F::InterpolateFuncOptions()
                                                             .size(std::vector<int64_t>{12, 8})
                                                             .mode(torch::kBilinear)
                                                             .align_corners(false));
  torch::Tensor x = torch::cat({projected, upsampled}, 1);
  x = torch::relu(
      batch_norm_eval(torch::conv2d(x, s["mix.0.weight"], {}, 1, 1, 1, 37), s, "mix.1"));
  x = torch::relu(batch_norm_eval(torch::conv2d(x, s["mix.3.weight"]), s, "mix.4"));
  const torch::Tensor expected = torch::conv2d(x, s["correct.weight"], s["correct.bias"]);
  ASSERT_EQ(got.sizes(), (std::vector<int64_t>{2, 5, 12, 8}));
  EXPECT_TRUE(torch::allclose(got, expected, 1e-4, 1e-5));
}

TEST(DetailDecoder, ATrainedLrasppGainsItAndAnswersExactlyAsBefore) {
  torch::manual_seed(6);
  ModelPtr plain = create_model(kLraspp, lraspp_options(false));
  ModelPtr refined = create_model(kLraspp, lraspp_options(true));
  // Strict loading names the decoder's keys; as an optional part it starts fresh.
  EXPECT_THROW(load_state(*refined, named_state(*plain), LoadStateOptions{}), Error);
  LoadStateOptions optional;
  optional.optional_prefixes = {"detail_decoder."};
  const LoadReport report = load_state(*refined, named_state(*plain), optional);
  EXPECT_TRUE(report.missing.empty());
  EXPECT_FALSE(report.kept.empty());
  plain->eval();
  refined->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor images = torch::randn({1, 3, 70, 46});
  const torch::Tensor before = plain->forward(images);
  EXPECT_TRUE(torch::equal(refined->forward(images), before));
  // A nonzero correction changes the answer, at the input's size.
  named_state(*refined)["detail_decoder.correct.bias"].fill_(0.5);
  const torch::Tensor after = refined->forward(images);
  ASSERT_EQ(after.sizes(), before.sizes());
  EXPECT_TRUE(torch::allclose(after, before + 0.5, 1e-5, 1e-5));
}

TEST(DetailDecoder, AddsExactlyItsLayersParameters) {
  const auto count = [](const ModelPtr& model) {
    int64_t total = 0;
    for (const auto& parameter : model->parameters()) total += parameter.numel();
    return total;
  };
  const int64_t classes = 5, joined = 32 + classes;
  const int64_t expected = 24 * 32 + 2 * 32           // project: 1x1 conv, BN
                           + joined * 9 + 2 * joined  // depthwise 3x3, BN
                           + joined * 64 + 2 * 64     // pointwise 1x1, BN
                           + 64 * classes + classes;  // correct: 1x1 conv with bias
  EXPECT_EQ(count(create_model(kLraspp, lraspp_options(true))) -
                count(create_model(kLraspp, lraspp_options(false))),
            expected);
}

TEST(DetailDecoder, LearnsThroughTheCorrection) {
  torch::manual_seed(8);
  ModelPtr model = create_model(kLraspp, lraspp_options(true));
  model->train();
  const torch::Tensor images = torch::randn({2, 3, 64, 48});
  const torch::Tensor target = torch::randint(0, 5, {2, 64, 48});
  torch::optim::SGD sgd(model->parameters(), 0.1);
  for (int step = 0; step < 2; ++step) {
    sgd.zero_grad();
    torch::nn::functional::cross_entropy(model->forward(images), target).backward();
    sgd.step();
  }
  // After one step the zero correction has moved, so the mixing layers receive gradients too.
  const auto parameters = model->named_parameters();
  EXPECT_GT(parameters["detail_decoder.correct.weight"].abs().sum().item<double>(), 0.0);
  EXPECT_GT(parameters["detail_decoder.mix.3.weight"].grad().abs().sum().item<double>(), 0.0);
  EXPECT_GT(parameters["detail_decoder.project.0.weight"].grad().abs().sum().item<double>(), 0.0);
}

TEST(DetailDecoder, OnlyLrasppReadsTheKnob) {
  ModelOptions options;
  options.detail_decoder = true;
  options.base_width = 8;
  EXPECT_THROW(check_model_knobs("unet", options), Error);
  EXPECT_NO_THROW(check_model_knobs(kLraspp, lraspp_options(true)));
}

TEST(DetailDecoder, ExportWeightsRefusesItForTorchvision) {
  test::TempDir dir;
  const ModelOptions options = lraspp_options(true);
  ModelPtr model = create_model(kLraspp, options);
  save_checkpoint(make_checkpoint(kLraspp, options, *model), dir / "refined.fsm");
  const auto result =
      test::run_fashionseg("export-weights " + test::shell_quote((dir / "refined.fsm").string()) +
                           " -o " + test::shell_quote((dir / "out.pt").string()));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("detail decoder"), std::string::npos) << result.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "out.pt"));
}

}  // namespace
}  // namespace fashionseg
