// Parameter names, shapes and counts against live references: torchvision 0.14 (run through
// tests/models/torchvision_reference.py with Debian's python3) for the models that reproduce
// torchvision's, the papers' figures (within 2%) for the others.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fashionseg/core/files.h"
#include "fashionseg/torch/model_registry.h"
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
    "fc_densenet56:47:0",
    "fc_densenet67:47:0",
    "fc_densenet103:47:0",
    "fc_densenet103:11:0",
};

// Runs the Python reference once and caches its answer in the temp directory, keyed by the
// script's text and the cases: CTest runs every test in its own process, and the script needs
// ~10 s. Editing the script (or the cases) changes the key, so the reference stays live.
// Null when python3 with torchvision is absent.
const nlohmann::json* torchvision_reference() {
  static const nlohmann::json reference = []() -> nlohmann::json {
    const auto script = test::source_dir() / "tests/models/torchvision_reference.py";
    std::string key_text = read_file(script);
    for (const auto& c : kReferenceCases) key_text += " " + c;
    const auto cache = std::filesystem::temp_directory_path() /
                       ("fashionseg-torchvision-reference-" +
                        std::to_string(std::hash<std::string>{}(key_text)) + ".json");
    if (!std::filesystem::exists(cache)) {
      test::TempDir dir;
      std::string command =
          test::shell_quote(test::python()) + " " + test::shell_quote(script.string());
      for (const auto& c : kReferenceCases) command += " " + c;
      command += " > " + test::shell_quote((dir / "reference.json").string());
      const auto result = test::run_command(command);
      if (result.exit_code != 0) {
        std::cerr << "torchvision reference unavailable: " << result.output << "\n";
        return nlohmann::json();
      }
      // atomic: tests running in parallel may race to write the same cache
      write_file_atomic(cache, read_file(dir / "reference.json"));
    }
    return nlohmann::json::parse(read_file(cache));
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

TEST(IndependentCount, FcDenseNetsMatchTheAuthorsLayerByLayerCount) {
  REQUIRE_TORCHVISION(reference);
  for (const auto& [name, classes] :
       std::vector<std::pair<std::string, int64_t>>{{"fc_densenet56", 47},
                                                    {"fc_densenet67", 47},
                                                    {"fc_densenet103", 47},
                                                    {"fc_densenet103", 11}}) {
    ModelOptions options;
    options.num_classes = classes;
    const std::string key = name + ":" + std::to_string(classes) + ":0";
    EXPECT_EQ(count_parameters(*create_model(name, options)),
              reference->at(key).at("parameters").get<int64_t>())
        << key;
  }
}

// Every registry entry against its own reference figure and tolerance; paper figures are
// rounded, so they get 2% unless the entry's source explains more.
TEST(PaperFigures, ParameterCountsWithinTheirTolerance) {
  for (const auto& info : list_models()) {
    const int64_t ours = count_parameters(*info.create(ModelOptions{}));
    if (info.reference_tolerance == 0.0) {
      EXPECT_EQ(ours, info.reference_parameters) << info.name;
    } else {
      EXPECT_LE(info.reference_tolerance, 0.08) << info.name;
      const double relative = std::abs(static_cast<double>(ours - info.reference_parameters)) /
                              info.reference_parameters;
      EXPECT_LE(relative, info.reference_tolerance)
          << info.name << ": " << ours << " vs " << info.reference_parameters << " ("
          << info.reference_source << ")";
    }
  }
}

TEST(PaperFigures, UNetSegNetAndFcDenseNet67And103WithinTwoPercent) {
  // The published figures, independent of the registry's table.
  const std::vector<std::pair<std::string, double>> figures = {{"unet", 31.0e6},
                                                               {"segnet_vgg16", 29.5e6},
                                                               {"fc_densenet67", 3.5e6},
                                                               {"fc_densenet103", 9.4e6}};
  for (const auto& [name, figure] : figures) {
    const double ours = static_cast<double>(count_parameters(*create_model(name, ModelOptions{})));
    EXPECT_NEAR(ours / figure, 1.0, 0.02) << name << ": " << ours;
  }
}

}  // namespace
}  // namespace fashionseg
