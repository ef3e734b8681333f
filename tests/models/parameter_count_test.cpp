// Parameter names, shapes and counts against live references: torchvision 0.14 (run through
// tests/models/torchvision_reference.py with Debian's python3) for the models that reproduce
// torchvision's, the papers' figures (within 2%) for the others.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fashionseg/models.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

using Shapes = std::map<std::string, std::vector<int64_t>>;

// One case per torchvision comparison: "<reference model>:<classes>:<aux>".
const std::vector<std::string> kReferenceCases = {
    "fcn_resnet50:21:1",
    "fcn_resnet50:47:0",
    "deeplabv3_resnet50:21:1",
    "deeplabv3_resnet50:47:0",
    "lraspp_mobilenet_v3_large:47:0",
    "deeplabv3_mobilenet_v3_large:47:1",
    "deeplabv3_mobilenet_v3_large:47:0",
    "resnet50_trunk:47:0",
    "vgg16_bn_features:47:0",
};

// Runs the Python reference once for the whole executable; null when torchvision is absent.
const nlohmann::json* torchvision_reference() {
  static const nlohmann::json reference = [] {
    test::TempDir dir;
    std::string command =
        test::shell_quote(test::python()) + " " +
        test::shell_quote((test::source_dir() / "tests/models/torchvision_reference.py").string());
    for (const auto& c : kReferenceCases) command += " " + c;
    command += " > " + test::shell_quote((dir / "reference.json").string());
    const auto result = test::run_command(command);
    if (result.exit_code != 0) {
      std::cerr << "torchvision reference unavailable: " << result.output << "\n";
      return nlohmann::json();
    }
    std::ifstream in(dir / "reference.json");
    return nlohmann::json::parse(in);
  }();
  return reference.is_null() ? nullptr : &reference;
}

#define REQUIRE_TORCHVISION(reference)                       \
  const nlohmann::json* reference = torchvision_reference(); \
  if (!reference) GTEST_SKIP() << "python3 with torchvision is not available"

Shapes state_shapes(const torch::nn::Module& module, const std::string& only_prefix = "") {
  Shapes shapes;
  auto add = [&](const std::string& key, const torch::Tensor& t) {
    if (key.rfind(only_prefix, 0) == 0) shapes[key] = t.sizes().vec();
  };
  for (const auto& item : module.named_parameters()) add(item.key(), item.value());
  for (const auto& item : module.named_buffers()) add(item.key(), item.value());
  return shapes;
}

Shapes reference_shapes(const nlohmann::json& reference, const std::string& reference_case) {
  Shapes shapes;
  for (const auto& [key, shape] : reference.at(reference_case).at("state").items()) {
    shapes[key] = shape.get<std::vector<int64_t>>();
  }
  return shapes;
}

// Lists keys present on one side only or with different shapes, so a failure says what.
std::string describe_difference(const Shapes& ours, const Shapes& theirs) {
  std::string text;
  for (const auto& [key, shape] : theirs) {
    auto it = ours.find(key);
    if (it == ours.end()) {
      text += "  missing here: " + key + "\n";
    } else if (it->second != shape) {
      text += "  shape differs: " + key + "\n";
    }
  }
  for (const auto& [key, shape] : ours) {
    if (!theirs.count(key)) text += "  extra here: " + key + "\n";
  }
  return text;
}

struct TorchvisionCase {
  std::string model;           // our registry name
  std::string reference_case;  // the Python case it must equal
  int64_t num_classes;
  bool aux;
};

void PrintTo(const TorchvisionCase& c, std::ostream* os) {
  *os << c.model << " vs " << c.reference_case;
}

class SameAsTorchvision : public ::testing::TestWithParam<TorchvisionCase> {};

TEST_P(SameAsTorchvision, StateDictKeysShapesAndParameterCount) {
  REQUIRE_TORCHVISION(reference);
  const auto& param = GetParam();
  ModelOptions options;
  options.num_classes = param.num_classes;
  options.aux_head = param.aux;
  const auto model = create_model(param.model, options);
  const Shapes ours = state_shapes(*model);
  const Shapes theirs = reference_shapes(*reference, param.reference_case);
  EXPECT_TRUE(ours == theirs) << param.model << " vs torchvision " << param.reference_case << ":\n"
                              << describe_difference(ours, theirs);
  EXPECT_EQ(count_parameters(*model),
            reference->at(param.reference_case).at("parameters").get<int64_t>());
}

INSTANTIATE_TEST_SUITE_P(
    Torchvision, SameAsTorchvision,
    ::testing::Values(TorchvisionCase{"fcn_resnet50", "fcn_resnet50:21:1", 21, true},
                      TorchvisionCase{"fcn_resnet50", "fcn_resnet50:47:0", 47, false},
                      TorchvisionCase{"deeplabv3_resnet50", "deeplabv3_resnet50:21:1", 21, true},
                      TorchvisionCase{"deeplabv3_resnet50", "deeplabv3_resnet50:47:0", 47, false},
                      TorchvisionCase{"lraspp_mobilenet_v3_large", "lraspp_mobilenet_v3_large:47:0",
                                      47, false},
                      TorchvisionCase{"deeplabv3_mobilenet_v3_large",
                                      "deeplabv3_mobilenet_v3_large:47:1", 47, true},
                      TorchvisionCase{"deeplabv3_mobilenet_v3_large",
                                      "deeplabv3_mobilenet_v3_large:47:0", 47, false}),
    [](const auto& info) {
      return info.param.model + "_" + std::to_string(info.param.num_classes) +
             (info.param.aux ? "_aux" : "");
    });

TEST(SameAsTorchvision, DesignBriefFiguresWith21ClassesAndAux) {
  // The figures quoted in the design brief (torchvision's own documentation).
  ModelOptions options;
  options.num_classes = 21;
  options.aux_head = true;
  EXPECT_EQ(count_parameters(*create_model("fcn_resnet50", options)), 35322218);
  EXPECT_EQ(count_parameters(*create_model("deeplabv3_resnet50", options)), 42004074);
}

TEST(SameAsTorchvision, AtrousResNetBackboneIsTorchvisionsResNet50Trunk) {
  REQUIRE_TORCHVISION(reference);
  const auto model = create_model("atrous_resnet50", ModelOptions{});
  const Shapes theirs = reference_shapes(*reference, "resnet50_trunk:47:0");
  const Shapes ours = state_shapes(*model, "backbone.");
  EXPECT_TRUE(ours == theirs) << describe_difference(ours, theirs);
  const Shapes head = state_shapes(*model, "classifier.");
  EXPECT_EQ(head, (Shapes{{"classifier.0.weight", {47, 2048, 1, 1}}, {"classifier.0.bias", {47}}}));
  const int64_t trunk = reference->at("resnet50_trunk:47:0").at("parameters").get<int64_t>();
  EXPECT_EQ(count_parameters(*model), trunk + 2048 * 47 + 47);
}

TEST(SameAsTorchvision, SegNetEncoderKeysAreVgg16BnFeatures) {
  REQUIRE_TORCHVISION(reference);
  const auto model = create_model("segnet_vgg16", ModelOptions{});
  const Shapes theirs = reference_shapes(*reference, "vgg16_bn_features:47:0");
  const Shapes ours = state_shapes(*model, "features.");
  EXPECT_TRUE(ours == theirs) << describe_difference(ours, theirs);
}

TEST(SameAsTorchvision, RegistryReferenceCountsOfExactModelsMatchTorchvision) {
  REQUIRE_TORCHVISION(reference);
  const std::map<std::string, int64_t> live = {
      {"fcn_resnet50", reference->at("fcn_resnet50:47:0").at("parameters").get<int64_t>()},
      {"deeplabv3_resnet50",
       reference->at("deeplabv3_resnet50:47:0").at("parameters").get<int64_t>()},
      {"lraspp_mobilenet_v3_large",
       reference->at("lraspp_mobilenet_v3_large:47:0").at("parameters").get<int64_t>()},
      {"deeplabv3_mobilenet_v3_large",
       reference->at("deeplabv3_mobilenet_v3_large:47:0").at("parameters").get<int64_t>()},
      {"atrous_resnet50",
       reference->at("resnet50_trunk:47:0").at("parameters").get<int64_t>() + 2048 * 47 + 47},
  };
  for (const auto& [name, count] : live) {
    EXPECT_EQ(find_model(name).reference_parameters, count) << name;
  }
}

// Models whose reference is a paper's rounded figure: within 2% at the default options.
TEST(PaperFigures, ParameterCountsWithinTwoPercent) {
  for (const auto& info : list_models()) {
    const int64_t ours = count_parameters(*info.create(ModelOptions{}));
    if (info.reference_exact) {
      EXPECT_EQ(ours, info.reference_parameters) << info.name;
    } else {
      const double relative = std::abs(static_cast<double>(ours - info.reference_parameters)) /
                              info.reference_parameters;
      EXPECT_LE(relative, 0.02) << info.name << ": " << ours << " vs " << info.reference_parameters
                                << " (" << info.reference_source << ")";
    }
  }
}

}  // namespace
}  // namespace fashionseg
