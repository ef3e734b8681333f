// `fashionseg bench` and `fashionseg export`: bench's compute figure equals an independent
// count of torchvision's LR-ASPP multiply-adds (forward hooks on every convolution), its JSON
// holds every figure it prints, it folds every BatchNorm torchvision's model has (none with
// --no-fold), and bad sizes are refused; export drops the training state,
// halves the weights with --half, and the half model segments like the full one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/lraspp_fixture.h"
#include "support/python_script.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

using ::testing::HasSubstr;

// Multiply-adds of every convolution of torchvision's LR-ASPP (5 classes) at 96 x 64.
const char* const kTorchvisionMacs = R"(
import torch
from torchvision.models.segmentation import lraspp_mobilenet_v3_large
m = lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=5).eval()
total = [0]
def hook(module, inputs, output):
    k = module.kernel_size[0] * module.kernel_size[1]
    total[0] += output.numel() * (module.in_channels // module.groups) * k
for module in m.modules():
    if isinstance(module, torch.nn.Conv2d):
        module.register_forward_hook(hook)
with torch.no_grad():
    m(torch.zeros(1, 3, 96, 64))
print('MACS', total[0], 'PARAMS', sum(p.numel() for p in m.parameters()),
      'BN', sum(isinstance(x, torch.nn.BatchNorm2d) for x in m.modules()))
)";

TEST(BenchCommand, ComputeEqualsTorchvisionsCountAndTheJsonHasEveryFigure) {
  test::TempDir dir;
  const auto reference = test::run_python_script(dir, kTorchvisionMacs);
  ASSERT_EQ(reference.exit_code, 0) << reference.output;
  long long macs = 0, params = 0, batch_norms = 0;
  ASSERT_EQ(std::sscanf(reference.output.c_str() + reference.output.find("MACS"),
                        "MACS %lld PARAMS %lld BN %lld", &macs, &params, &batch_norms),
            3)
      << reference.output;
  const auto result = test::run_fashionseg(
      "--threads 1 bench --arch lraspp_mobilenet_v3_large --classes 5 --size 96x64 --batch 2 "
      "--warmup 1 --iterations 3 --json " +
      test::shell_quote((dir / "b.json").string()));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("GFLOP/s achieved"));
  std::ifstream in(dir / "b.json");
  const nlohmann::json json = nlohmann::json::parse(in);
  EXPECT_NEAR(json["gflop_per_image"].get<double>(), 2.0 * macs / 1e9, 1e-9);
  EXPECT_EQ(json["parameters"].get<long long>(), params);
  EXPECT_EQ(json["batch"], 2);
  EXPECT_EQ(json["threads"], 1);
  const double mean = json["latency_ms"]["mean"];
  EXPECT_GT(mean, 0.0);
  EXPECT_NEAR(json["images_per_second"].get<double>(), 2 * 1000.0 / mean, 1e-6);
  EXPECT_NEAR(json["gflop_per_second"].get<double>(),
              json["gflop_per_image"].get<double>() * json["images_per_second"].get<double>(),
              1e-6);
  EXPECT_GT(json["peak_memory_mib"].get<double>(), 10.0);
  // every BatchNorm of torchvision's LR-ASPP follows a convolution, so all are folded
  EXPECT_EQ(json["batch_norms_folded"].get<long long>(), batch_norms);
  EXPECT_GT(batch_norms, 30);

  const auto unfolded = test::run_fashionseg(
      "--threads 1 bench --arch lraspp_mobilenet_v3_large --classes 5 --size 96x64 "
      "--warmup 0 --iterations 1 --no-fold --json " +
      test::shell_quote((dir / "u.json").string()));
  ASSERT_EQ(unfolded.exit_code, 0) << unfolded.output;
  std::ifstream unfolded_in(dir / "u.json");
  EXPECT_FALSE(nlohmann::json::parse(unfolded_in).contains("batch_norms_folded"));
}

TEST(BenchCommand, BadSizesAndConflictingSourcesAreRefused) {
  const auto bad = test::run_fashionseg("bench --arch unet --size 512");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("--size '512' is not HEIGHTxWIDTH"));
  const auto tiny = test::run_fashionseg("bench --arch unet --size 8x8");
  EXPECT_EQ(tiny.exit_code, 2) << tiny.output;
  const auto both = test::run_fashionseg("bench --arch unet -m x.fsm");
  EXPECT_NE(both.exit_code, 0);
  EXPECT_THAT(both.output, HasSubstr("excludes"));
  const auto unknown = test::run_fashionseg("bench --arch no_such_model --size 64x64");
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_THAT(unknown.output, HasSubstr("unknown model 'no_such_model' (valid models: "));
}

// --arch takes every model knob by its config name; one the architecture does not read is an
// error naming it, not silently ignored.
TEST(BenchCommand, ModelKnobsFollowTheArchitecture) {
  const auto unused = test::run_fashionseg(
      "bench --arch lraspp_mobilenet_v3_large --base-width 8 --size 32x32 --warmup 0 "
      "--iterations 1");
  EXPECT_EQ(unused.exit_code, 2) << unused.output;
  EXPECT_THAT(unused.output, HasSubstr("does not use the option base_width"));
  const auto used = test::run_fashionseg(
      "--threads 1 bench --arch unet --base-width 4 --batch-norm false --classes 3 --size 32x32 "
      "--warmup 0 --iterations 1");
  EXPECT_EQ(used.exit_code, 0) << used.output;
  const auto without_arch = test::run_fashionseg("bench --base-width 8 --size 32x32");
  EXPECT_NE(without_arch.exit_code, 0) << without_arch.output;
}

TEST(ExportCommand, HalfTheSizeAndTheSameSegmentation) {
  test::TempDir dir;
  ASSERT_EQ(test::run_python_script(dir, test::kMakeLrasppInputs).exit_code, 0);
  ASSERT_EQ(test::run_fashionseg(test::import_lraspp_arguments(dir)).exit_code, 0);
  auto at = [&](const std::string& name) { return test::shell_quote((dir / name).string()); };
  const auto exported =
      test::run_fashionseg("export " + at("model.fsm") + " " + at("half.fsm") + " --half");
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_THAT(exported.output, HasSubstr("fp16 weights"));
  const double full = std::filesystem::file_size(dir / "model.fsm");
  const double half = std::filesystem::file_size(dir / "half.fsm");
  EXPECT_LT(half, 0.55 * full);
  EXPECT_GT(half, 0.45 * full);
  for (const char* model : {"model.fsm", "half.fsm"}) {
    const auto predicted =
        test::run_fashionseg("predict -m " + at(model) + " " + at("photos/a.png") +
                             " --logits -o " + at(std::string("p_") + model));
    ASSERT_EQ(predicted.exit_code, 0) << predicted.output;
  }
  const auto compared = test::run_python_script(
      dir,
      "import numpy as np, sys\n"
      "a = np.load(sys.argv[1]); b = np.load(sys.argv[2])\n"
      "d = float(np.abs(a - b).max()); agree = float((a.argmax(0) == b.argmax(0)).mean())\n"
      "assert d < 0.05 and agree > 0.99, (d, agree)\n"
      "print('CLOSE', d, agree)\n",
      at("p_model.fsm/a_logits.npy") + " " + at("p_half.fsm/a_logits.npy"), "close.py");
  ASSERT_EQ(compared.exit_code, 0) << compared.output;
  EXPECT_THAT(compared.output, HasSubstr("CLOSE"));
  const auto same = test::run_fashionseg("export " + at("half.fsm") + " " + at("half.fsm"));
  EXPECT_EQ(same.exit_code, 2) << same.output;
  EXPECT_THAT(same.output, HasSubstr("would overwrite the input"));
  const auto missing = test::run_fashionseg("export " + at("none.fsm") + " " + at("x.fsm"));
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.output, HasSubstr("none.fsm"));
  EXPECT_FALSE(std::filesystem::exists(dir / "x.fsm"));
}

}  // namespace
}  // namespace fashionseg
