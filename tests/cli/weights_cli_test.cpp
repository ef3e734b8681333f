// import-weights / export-weights end to end: torchvision weights in, checkpoint, weights out
// that torchvision loads strictly; bad keys named; class-count and backbone-only options.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "support/python_script.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// torchvision's LR-ASPP (5 classes, random weights): good.pt, and broken.pt with one key
// removed and one added.
const char* const kMakeWeights = R"(
import torch
from torchvision.models.segmentation import lraspp_mobilenet_v3_large
torch.manual_seed(0)
m = lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=5)
state = dict(m.state_dict())
torch.save(state, 'good.pt')
del state['backbone.4.block.1.1.running_var']
state['classifier.extra.weight'] = torch.zeros(1)
torch.save(state, 'broken.pt')
state = dict(m.state_dict())
torch.save({k: v.long() if v.is_floating_point() else v for k, v in state.items()}, 'int64.pt')
nan = dict(state)
nan['classifier.low_classifier.weight'] = torch.full_like(nan['classifier.low_classifier.weight'], float('nan'))
torch.save(nan, 'nan.pt')
torch.save(m, 'module.pt')
torch.save({1: torch.zeros(2)}, 'intkey.pt')
torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), 'script.pt')
)";

class WeightsCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<test::TempDir>();
    made_ = test::run_python_script(*dir_, kMakeWeights);
  }
  static void TearDownTestSuite() { dir_.reset(); }
  void SetUp() override { ASSERT_EQ(made_.exit_code, 0) << made_.output; }
  static std::string at(const std::string& name) {
    return test::shell_quote((*dir_ / name).string());
  }
  static test::CommandResult import(const std::string& file, const std::string& extra,
                                    const std::string& output) {
    return test::run_fashionseg("import-weights --arch lraspp_mobilenet_v3_large --weights " +
                                at(file) + " -o " + at(output) + " " + extra);
  }
  static std::unique_ptr<test::TempDir> dir_;
  static test::CommandResult made_;
};
std::unique_ptr<test::TempDir> WeightsCli::dir_;
test::CommandResult WeightsCli::made_;

TEST_F(WeightsCli, ImportThenExportGivesBackTheSameTensorsToTorchvision) {
  const auto imported = import("good.pt", "", "model.fsm");
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  EXPECT_THAT(imported.output, HasSubstr("5 classes"));  // inferred from the file
  const auto exported =
      test::run_fashionseg("export-weights " + at("model.fsm") + " -o " + at("back.pt"));
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  const auto checked = test::run_python_script(*dir_, R"(
import torch
from torchvision.models.segmentation import lraspp_mobilenet_v3_large
m = lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=5)
back = torch.load('back.pt')
m.load_state_dict(back, strict=True)
good = torch.load('good.pt')
same = all(torch.equal(good[k], back[k]) and good[k].dtype == back[k].dtype for k in good)
print('SAME' if same and set(good) == set(back) else 'DIFFERENT')
)",
                                               "", "check.py");
  ASSERT_EQ(checked.exit_code, 0) << checked.output;
  EXPECT_THAT(checked.output, HasSubstr("SAME"));
}

TEST_F(WeightsCli, MissingAndUnexpectedKeysAreNamed) {
  const auto result = import("broken.pt", "", "broken.fsm");
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_THAT(result.output, HasSubstr("backbone.4.block.1.1.running_var"));
  EXPECT_THAT(result.output, HasSubstr("classifier.extra.weight"));
  EXPECT_THAT(result.output, HasSubstr("broken.pt"));
}

TEST_F(WeightsCli, ClassCountChangeNeedsReinitClassifier) {
  const auto refused = import("good.pt", "--classes 7", "seven.fsm");
  EXPECT_EQ(refused.exit_code, 3) << refused.output;
  EXPECT_THAT(
      refused.output,
      HasSubstr("classifier.low_classifier.weight: file [5, 40, 1, 1] vs model [7, 40, 1, 1]"));
  EXPECT_THAT(refused.output, HasSubstr("--reinit-classifier"));

  const auto accepted = import("good.pt", "--classes 7 --reinit-classifier", "seven.fsm");
  EXPECT_EQ(accepted.exit_code, 0) << accepted.output;
  EXPECT_THAT(accepted.output, HasSubstr("re-initialised classifier (4)"));
  EXPECT_THAT(accepted.output, HasSubstr("7 classes"));
}

TEST_F(WeightsCli, BackboneOnlyKeepsTheHeadFresh) {
  const auto result = import("good.pt", "--backbone-only --classes 7 --half", "bb.fsm");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("ignored (outside the required prefix"));
  EXPECT_THAT(result.output, HasSubstr("fp16 weights"));
}

TEST_F(WeightsCli, IntegerOrNonFiniteWeightsAreRefusedByName) {
  const auto integers = import("int64.pt", "", "int64.fsm");
  EXPECT_EQ(integers.exit_code, 3) << integers.output;
  EXPECT_THAT(integers.output, HasSubstr("integer where floating point is expected"));
  EXPECT_THAT(integers.output, HasSubstr("backbone.0.0.weight: file Long vs model Float"));
  const auto nan = import("nan.pt", "", "nan.fsm");
  EXPECT_EQ(nan.exit_code, 3) << nan.output;
  EXPECT_THAT(nan.output, HasSubstr("NaN or infinite values (1):\n    "
                                    "classifier.low_classifier.weight"));
  for (const char* name : {"int64.fsm", "nan.fsm"}) {
    EXPECT_FALSE(std::filesystem::exists(*dir_ / name)) << name;
  }
}

TEST_F(WeightsCli, FilesThatAreNotADictOfWeightsSayWhatTheyHold) {
  const auto module = import("module.pt", "", "x.fsm");
  EXPECT_EQ(module.exit_code, 3) << module.output;
  EXPECT_THAT(module.output,
              HasSubstr("a pickled torchvision.models.segmentation.lraspp.LRASPP object"));
  const auto keys = import("intkey.pt", "", "x.fsm");
  EXPECT_EQ(keys.exit_code, 3) << keys.output;
  EXPECT_THAT(keys.output, HasSubstr("keys are not strings"));
  const auto script = import("script.pt", "", "x.fsm");
  EXPECT_EQ(script.exit_code, 3) << script.output;
  EXPECT_THAT(script.output, HasSubstr("TorchScript module"));
  for (const auto* result : {&module, &keys, &script}) {
    EXPECT_THAT(result->output, Not(HasSubstr("OrderedDict"))) << result->output;
  }
}

TEST_F(WeightsCli, ExportRejectsFilesThatAreNotCheckpoints) {
  const auto result = test::run_fashionseg("export-weights " + at("good.pt") + " -o " + at("x.pt"));
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_THAT(result.output, HasSubstr("import-weights"));
  const auto absent =
      test::run_fashionseg("export-weights " + at("absent.fsm") + " -o " + at("x.pt"));
  EXPECT_EQ(absent.exit_code, 4) << absent.output;
  EXPECT_THAT(absent.output, Not(HasSubstr("internal")));
}

}  // namespace
}  // namespace fashionseg
