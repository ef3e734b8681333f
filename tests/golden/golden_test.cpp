// Golden parity with torchvision 0.14: the same weights (loaded by name) and the same input
// give the same logits, in both directions (Python -> C++ and C++ -> Python), and the
// multiply-add counter agrees with an independent forward-hook count in Python.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <memory>
#include <sstream>

#include "fashionseg/torch/flops.h"
#include "fashionseg/torch/model_registry.h"
#include "fashionseg/torch/state_dict.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

constexpr double kTolerance = 1e-4;
const std::vector<std::string> kModelCases = {"fcn_resnet50", "deeplabv3_resnet50",
                                              "lraspp_mobilenet_v3_large"};

std::string script() { return (test::source_dir() / "tests/golden/make_golden.py").string(); }

test::CommandResult run_script(const std::string& arguments) {
  return test::run_command(test::shell_quote(test::python()) + " " + test::shell_quote(script()) +
                           " " + arguments);
}

std::string joined(const std::vector<std::string>& cases) {
  std::string out;
  for (const auto& name : cases) out += " " + name;
  return out;
}

// "PREFIX a b VALUE" lines of the script's output, keyed by "a b".
std::map<std::string, double> parse_values(const std::string& output, const std::string& prefix) {
  std::map<std::string, double> values;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(prefix + " ", 0) != 0) continue;
    const auto last = line.rfind(' ');
    values[line.substr(prefix.size() + 1, last - prefix.size() - 1)] =
        std::stod(line.substr(last + 1));
  }
  return values;
}

ModelOptions golden_options() {
  ModelOptions options;
  options.num_classes = 5;
  options.aux_head = true;  // read by the models that have one, as in the script
  return options;
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  if (a.sizes() != b.sizes()) return 1e30;
  return (a - b).abs().max().item<double>();
}

// Python generates the references once for the whole suite (a few seconds of torchvision).
class GoldenParity : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<test::TempDir>();
    generated_ =
        run_script("generate " + test::shell_quote(dir_->path().string()) + joined(kModelCases));
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::unique_ptr<test::TempDir> dir_;
  static test::CommandResult generated_;
};
std::unique_ptr<test::TempDir> GoldenParity::dir_;
test::CommandResult GoldenParity::generated_;

TEST_P(GoldenParity, TorchvisionWeightsGiveTorchvisionLogits) {
  ASSERT_EQ(generated_.exit_code, 0) << generated_.output;
  const std::string name = GetParam();
  ModelPtr model = create_model(name, golden_options());
  const LoadReport report = load_state(*model, read_state_file(*dir_ / (name + ".weights.pt")));
  EXPECT_TRUE(report.missing.empty() && report.unexpected.empty());
  model->eval();
  const StateDict io = read_state_file(*dir_ / (name + ".io.pt"));
  torch::NoGradGuard no_grad;
  const ModelOutput output = model->forward_all(io["input"]);
  const double out_diff = max_abs_diff(output.out, io["out"]);
  EXPECT_LE(out_diff, kTolerance) << name << " out";
  RecordProperty("max_abs_diff_out", std::to_string(out_diff));
  if (io.contains("aux")) {
    ASSERT_TRUE(output.aux.defined()) << name << " has no aux head";
    EXPECT_LE(max_abs_diff(output.aux, io["aux"]), kTolerance) << name << " aux";
  } else {
    EXPECT_FALSE(output.aux.defined()) << name << " has an aux head torchvision lacks";
  }
}

INSTANTIATE_TEST_SUITE_P(Torchvision, GoldenParity, ::testing::ValuesIn(kModelCases));

// C++ -> Python: weights exported from a C++-initialised model load into torchvision with
// strict=True and reproduce the C++ logits.
TEST(GoldenRoundTrip, CppWeightsReproduceCppLogitsInTorchvision) {
  test::TempDir dir;
  torch::manual_seed(11);
  for (const auto& name : kModelCases) {
    ModelPtr model = create_model(name, golden_options());
    {
      torch::NoGradGuard no_grad;  // make running statistics matter
      for (const auto& module : model->modules()) {
        if (auto* bn = module->as<torch::nn::BatchNorm2d>()) {
          bn->running_mean.uniform_(-0.2, 0.2);
          bn->running_var.uniform_(0.5, 2.0);
          bn->weight.uniform_(0.5, 1.5);
          bn->bias.uniform_(-0.2, 0.2);
        }
      }
    }
    model->eval();
    write_state_file(dir / (name + ".cpp_weights.pt"), named_state(*model));
    StateDict io;
    io.insert("input", torch::randn({1, 3, 61, 77}));
    torch::NoGradGuard no_grad;
    const ModelOutput output = model->forward_all(io["input"]);
    io.insert("out", output.out);
    if (output.aux.defined()) io.insert("aux", output.aux);
    write_state_file(dir / (name + ".cpp_io.pt"), io);
  }
  const auto result =
      run_script("reproduce " + test::shell_quote(dir.path().string()) + joined(kModelCases));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto diffs = parse_values(result.output, "MAXDIFF");
  EXPECT_EQ(diffs.size(), 5u) << result.output;  // out for 3 models, aux for 2
  for (const auto& name : kModelCases) {
    ASSERT_TRUE(diffs.count(name + " out")) << result.output;
    EXPECT_LE(diffs.at(name + " out"), kTolerance) << name;
  }
  EXPECT_LE(diffs.at("fcn_resnet50 aux"), kTolerance);
  EXPECT_LE(diffs.at("deeplabv3_resnet50 aux"), kTolerance);
}

// The operator-level counter against forward hooks on torchvision's Conv2d/Linear modules.
TEST(GoldenMacs, CounterAgreesWithForwardHooksOnTorchvision) {
  const auto result = run_script("macs 67 83" + joined(kModelCases));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto reference = parse_values(result.output, "MACS");
  for (const auto& name : kModelCases) {
    ASSERT_TRUE(reference.count(name)) << result.output;
    ModelPtr model = create_model(name, golden_options());
    EXPECT_EQ(count_model_macs(*model, 67, 83).total(), static_cast<int64_t>(reference.at(name)))
        << name;
  }
}

}  // namespace
}  // namespace fashionseg
