// State dicts: names like PyTorch's state_dict keys, strict loading that names every bad key,
// and .pt files exchanged with Python's torch.save / torch.load.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "fashionseg/core/error.h"
#include "fashionseg/core/files.h"
#include "fashionseg/torch/state_dict.h"
#include "support/python_script.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The same layout as the Python module in kPythonTinyNet below.
struct TinyNetImpl : torch::nn::Module {
  TinyNetImpl(int64_t classes = 3) {
    conv =
        register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).bias(false)));
    bn = register_module("bn", torch::nn::BatchNorm2d(4));
    head = register_module(
        "head", torch::nn::Sequential(torch::nn::ReLU(), torch::nn::Conv2d(4, classes, 1)));
  }
  torch::Tensor forward(torch::Tensor x) { return head->forward(bn->forward(conv->forward(x))); }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  torch::nn::Sequential head{nullptr};
};
TORCH_MODULE(TinyNet);

const char* const kPythonTinyNet = R"(
import torch, torch.nn as nn
class TinyNet(nn.Module):
    def __init__(self, classes=3):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(4, classes, 1))
    def forward(self, x):
        return self.head(self.bn(self.conv(x)))
)";

std::vector<std::string> keys_of(const StateDict& state) { return state.keys(); }

Error catch_error(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no fashionseg::Error thrown";
  return Error(ErrorKind::kInternal, "none");
}

TEST(StateDict, NamesFollowPyTorchStateDictOrder) {
  TinyNet net;
  EXPECT_THAT(
      keys_of(named_state(*net)),
      ElementsAre("conv.weight", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
                  "bn.num_batches_tracked", "head.1.weight", "head.1.bias"));
}

TEST(StateDict, NamesEqualPythonStateDictKeys) {
  test::TempDir dir;
  const auto result =
      test::run_python_script(dir, std::string(kPythonTinyNet) +
                                       "print('KEYS', ','.join(TinyNet().state_dict().keys()))\n");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  TinyNet net;
  std::string joined;
  for (const auto& key : keys_of(named_state(*net))) joined += (joined.empty() ? "" : ",") + key;
  EXPECT_THAT(result.output, HasSubstr("KEYS " + joined + "\n"));
}

TEST(StateDict, LoadCopiesValuesAndReportsEveryKey) {
  TinyNet source, target;
  torch::NoGradGuard no_grad;
  for (auto& item : named_state(*source)) item.value().fill_(0.5);
  const LoadReport report = load_state(*target, named_state(*source));
  EXPECT_EQ(report.loaded.size(), 8u);
  EXPECT_TRUE(report.missing.empty() && report.unexpected.empty() && report.shape_mismatch.empty());
  EXPECT_TRUE(torch::equal(target->head[1]->as<torch::nn::Conv2d>()->weight,
                           torch::full({3, 4, 1, 1}, 0.5)));
  EXPECT_EQ(target->bn->num_batches_tracked.item<int64_t>(), 0);  // 0.5 -> int64 0
}

TEST(StateDict, MissingUnexpectedAndMismatchedKeysAreNamedAndNothingIsLoaded) {
  TinyNet target;
  StateDict file = named_state(*TinyNet());
  StateDict edited;
  for (const auto& item : file) {
    if (item.key() == "bn.running_var") continue;  // missing
    if (item.key() == "conv.weight") {
      edited.insert(item.key(), torch::zeros({4, 3, 5, 5}));  // mismatch
      continue;
    }
    edited.insert(item.key(), torch::ones_like(item.value()));
  }
  edited.insert("head.2.weight", torch::zeros({1}));  // unexpected
  const torch::Tensor before = target->bn->weight.clone();
  const Error error = catch_error([&] {
    LoadStateOptions options;
    options.source = "weights.pt";
    load_state(*target, edited, options);
  });
  EXPECT_EQ(error.kind(), ErrorKind::kInput);
  const std::string text = error.what();
  EXPECT_THAT(text, HasSubstr("weights.pt"));
  EXPECT_THAT(text, HasSubstr("bn.running_var"));
  EXPECT_THAT(text, HasSubstr("head.2.weight"));
  EXPECT_THAT(text, HasSubstr("conv.weight: file [4, 3, 5, 5] vs model [4, 3, 3, 3]"));
  EXPECT_TRUE(torch::equal(target->bn->weight, before)) << "a failed load modified the model";
}

TEST(StateDict, ClassCountChangeIsAnErrorUnlessReinitialisationIsAsked) {
  TinyNet target(5);
  const StateDict file = named_state(*TinyNet(3));
  const Error error = catch_error([&] { load_state(*target, file); });
  EXPECT_THAT(std::string(error.what()),
              HasSubstr("head.1.weight: file [3, 4, 1, 1] vs model [5, 4, 1, 1]"));
  EXPECT_THAT(error.hint(), HasSubstr("--reinit-classifier"));

  LoadStateOptions options;
  options.reinit_classifier = true;
  options.num_classes = 5;
  const torch::Tensor fresh = target->head[1]->as<torch::nn::Conv2d>()->weight.clone();
  const LoadReport report = load_state(*target, file, options);
  EXPECT_EQ(report.reinitialised.size(), 2u);
  EXPECT_EQ(report.loaded.size(), 6u);
  EXPECT_TRUE(torch::equal(target->head[1]->as<torch::nn::Conv2d>()->weight, fresh));
  EXPECT_TRUE(torch::equal(target->conv->weight, file["conv.weight"]));
}

TEST(StateDict, ReinitialisationDoesNotHideOtherMismatches) {
  TinyNet target(5);
  StateDict file = named_state(*TinyNet(3));
  file["bn.weight"] = torch::ones({7});
  LoadStateOptions options;
  options.reinit_classifier = true;
  options.num_classes = 5;
  const Error error = catch_error([&] { load_state(*target, file, options); });
  EXPECT_THAT(std::string(error.what()), HasSubstr("bn.weight: file [7] vs model [4]"));
}

TEST(StateDict, BackboneOnlyLoadsThePrefixAndKeepsTheRest) {
  TinyNet target;
  StateDict file;
  for (const auto& item : named_state(*TinyNet())) {
    if (item.key().rfind("bn.", 0) == 0) file.insert(item.key(), torch::full_like(item.value(), 2));
  }
  file.insert("fc.weight", torch::zeros({10, 4}));           // an ImageNet head: ignored
  file.insert("head.1.weight", torch::zeros({9, 4, 1, 1}));  // outside the prefix: ignored too
  LoadStateOptions options;
  options.required_prefix = "bn.";
  const LoadReport report = load_state(*target, file, options);
  EXPECT_EQ(report.loaded.size(), 5u);
  EXPECT_THAT(report.ignored, ElementsAre("fc.weight", "head.1.weight"));
  EXPECT_EQ(report.kept.size(), 3u);
  EXPECT_TRUE(torch::equal(target->bn->weight, torch::full({4}, 2.0)));

  file.erase("bn.running_mean");
  const Error error = catch_error([&] { load_state(*target, file, options); });
  EXPECT_THAT(std::string(error.what()), HasSubstr("bn.running_mean"));
}

TEST(StateDict, RenamePrefixMapsClassificationCheckpoints) {
  StateDict file;
  file.insert("features.0.weight", torch::zeros({1}));
  file.insert("classifier.weight", torch::zeros({1}));
  EXPECT_THAT(rename_prefix(file, "features.", "backbone.").keys(),
              ElementsAre("backbone.0.weight", "classifier.weight"));
  EXPECT_THAT(rename_prefix(file, "", "backbone.").keys(),
              ElementsAre("backbone.features.0.weight", "backbone.classifier.weight"));
}

TEST(StateDict, ReadsPythonTorchSaveOfAPlainDict) {
  test::TempDir dir;
  const auto result = test::run_python_script(dir, R"(
import torch
torch.save({'a': torch.arange(6, dtype=torch.float32).reshape(2, 3),
            'b': torch.tensor([7, -8], dtype=torch.int64),
            'h': torch.tensor([0.5, 1.5], dtype=torch.float16),
            't': torch.arange(12.).reshape(3, 4).t()}, 'plain.pt')
)");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const StateDict state = read_state_file(dir / "plain.pt");
  ASSERT_EQ(state.size(), 4u);
  EXPECT_TRUE(torch::equal(state["a"], torch::arange(6, torch::kFloat32).reshape({2, 3})));
  EXPECT_TRUE(torch::equal(state["b"], torch::tensor({7, -8}, torch::kInt64)));
  EXPECT_EQ(state["h"].scalar_type(), torch::kHalf);
  EXPECT_TRUE(torch::equal(state["h"].to(torch::kFloat32), torch::tensor({0.5f, 1.5f})));
  EXPECT_TRUE(
      torch::equal(state["t"], torch::arange(12.0).reshape({3, 4}).t().to(torch::kFloat32)));
}

TEST(StateDict, OrderedDictFromModelStateDictGetsAConversionHint) {
  test::TempDir dir;
  const auto result = test::run_python_script(
      dir, std::string(kPythonTinyNet) + "torch.save(TinyNet().state_dict(), 'ordered.pt')\n");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const Error error = catch_error([&] { read_state_file(dir / "ordered.pt"); });
  EXPECT_EQ(error.kind(), ErrorKind::kInput);
  EXPECT_THAT(std::string(error.what()), HasSubstr("ordered.pt"));
  EXPECT_THAT(error.hint(), HasSubstr("torch.save(dict(model.state_dict())"));
}

TEST(StateDict, PythonStateDictConvertedWithDictLoadsIntoTheCppModel) {
  test::TempDir dir;
  const auto result = test::run_python_script(dir, std::string(kPythonTinyNet) + R"(
torch.manual_seed(0)
m = TinyNet().eval()
with torch.no_grad():
    m.bn.running_mean.uniform_(-1, 1); m.bn.running_var.uniform_(0.5, 2)
torch.save(dict(m.state_dict()), 'tiny.pt')
x = torch.linspace(-1, 1, 3 * 5 * 6).reshape(1, 3, 5, 6)
torch.save({'x': x, 'y': m(x).detach()}, 'io.pt')
)");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  TinyNet net;
  load_state(*net, read_state_file(dir / "tiny.pt"));
  net->eval();
  const StateDict io = read_state_file(dir / "io.pt");
  torch::NoGradGuard no_grad;
  EXPECT_LE((net->forward(io["x"]) - io["y"]).abs().max().item<float>(), 1e-6);
}

TEST(StateDict, PythonLoadsWhatCppWritesIntoTheTorchModuleStrictly) {
  test::TempDir dir;
  TinyNet net;
  {
    torch::NoGradGuard no_grad;
    net->bn->running_mean.uniform_(-1, 1);
    net->bn->running_var.uniform_(0.5, 2);
  }
  net->eval();
  write_state_file(dir / "cpp.pt", named_state(*net));
  const torch::Tensor x = torch::linspace(-1, 1, 3 * 5 * 6).reshape({1, 3, 5, 6});
  StateDict io;
  io.insert("x", x);
  io.insert("y", net->forward(x).detach());
  write_state_file(dir / "io.pt", io);
  const auto result = test::run_python_script(dir, std::string(kPythonTinyNet) + R"(
m = TinyNet().eval()
m.load_state_dict(torch.load('cpp.pt'), strict=True)
io = torch.load('io.pt')
print('MAXDIFF', float((m(io['x']) - io['y']).abs().max()))
)");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto at = result.output.find("MAXDIFF ");
  ASSERT_NE(at, std::string::npos) << result.output;
  EXPECT_LE(std::stod(result.output.substr(at + 8)), 1e-6) << result.output;
}

TEST(StateDict, BrokenFilesAreInputErrorsNamingTheFile) {
  test::TempDir dir;
  const std::string good = serialize_state(named_state(*TinyNet()));
  // Cuts before, inside and after the zip magic; every one loses the central directory.
  for (size_t cut : {size_t{0}, size_t{3}, size_t{40}, good.size() / 2, good.size() - 1}) {
    const auto path = dir / ("cut" + std::to_string(cut) + ".pt");
    write_file_atomic(path, std::string_view(good.data(), cut));
    const Error error = catch_error([&] { read_state_file(path); });
    EXPECT_EQ(error.kind(), ErrorKind::kInput) << "cut at " << cut;
    EXPECT_THAT(std::string(error.what()), HasSubstr(path.string())) << "cut at " << cut;
  }
  write_file_atomic(dir / "text.pt", std::string("hello, this is not a tensor file\n"));
  EXPECT_EQ(catch_error([&] { read_state_file(dir / "text.pt"); }).kind(), ErrorKind::kInput);
  EXPECT_EQ(catch_error([&] { read_state_file(dir / "absent.pt"); }).kind(), ErrorKind::kNotFound);
}

TEST(StateDict, NonTensorValuesAreNamed) {
  test::TempDir dir;
  const auto result = test::run_python_script(dir, R"(
import torch
torch.save({'weights': torch.zeros(2), 'epoch': 3}, 'mixed.pt')
)");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const Error error = catch_error([&] { read_state_file(dir / "mixed.pt"); });
  EXPECT_THAT(std::string(error.what()), HasSubstr("epoch"));
}

}  // namespace
}  // namespace fashionseg
