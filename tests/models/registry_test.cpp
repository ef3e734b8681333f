// The registry: lookups, unknown names, option validation.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "fashionseg/core/error.h"
#include "fashionseg/torch/model_registry.h"

namespace fashionseg {
namespace {

TEST(Registry, NamesAreUniqueAndEntriesComplete) {
  std::set<std::string> names;
  for (const auto& info : list_models()) {
    EXPECT_TRUE(names.insert(info.name).second) << "duplicate " << info.name;
    EXPECT_FALSE(info.summary.empty()) << info.name;
    EXPECT_TRUE(static_cast<bool>(info.create)) << info.name;
    EXPECT_GT(info.reference_parameters, 0) << info.name;
    EXPECT_FALSE(info.reference_source.empty()) << info.name;
    EXPECT_EQ(&find_model(info.name), &info);
  }
}

TEST(Registry, UnknownNameIsAConfigErrorListingTheValidNames) {
  try {
    create_model("deeplabv4_resnet51");
    FAIL() << "no error for an unknown model";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConfig);
    const std::string text = e.what();
    EXPECT_NE(text.find("deeplabv4_resnet51"), std::string::npos) << text;
    for (const auto& info : list_models()) {
      EXPECT_NE(text.find(info.name), std::string::npos) << info.name << " missing in: " << text;
    }
  }
}

TEST(Registry, BadOptionsAreConfigErrors) {
  auto expect_config_error = [](const std::string& name, ModelOptions options) {
    try {
      create_model(name, options);
      ADD_FAILURE() << name << ": bad options accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kConfig) << e.what();
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  };
  for (const auto& info : list_models()) {
    ModelOptions no_classes;
    no_classes.num_classes = 0;
    expect_config_error(info.name, no_classes);
  }
  ModelOptions stride;
  stride.output_stride = 4;
  expect_config_error("fcn_resnet50", stride);
  expect_config_error("deeplabv3_resnet50", stride);
}

TEST(Registry, ModelsRejectInputsThatAreNotImageBatches) {
  auto model = create_model("fcn_resnet50", ModelOptions{});
  model->eval();
  torch::NoGradGuard no_grad;
  EXPECT_THROW(model->forward_all(torch::zeros({3, 8, 8})), Error);
  EXPECT_THROW(model->forward_all(torch::zeros({1, 1, 8, 8})), Error);
  try {
    model->forward_all(torch::zeros({2, 1, 8, 8}));
    ADD_FAILURE() << "a 1-channel batch was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "fcn_resnet50: expected a float image batch [B,3,H,W], got Float [2, 1, 8, 8]"),
              std::string::npos)
        << e.what();
  }
}

// Each model lists the knobs it reads; they are names of the one vocabulary, and setting
// another knob is an error naming it, while defaults and read knobs pass.
TEST(Registry, KnobsAreFromTheVocabularyAndUnusedOnesAreErrors) {
  std::set<std::string> vocabulary;
  const ModelOptions defaults;
  visit_model_knobs(defaults, [&](const char* knob, const auto&) { vocabulary.insert(knob); });
  EXPECT_EQ(vocabulary.size(), 8u);
  ModelOptions head;
  head.category_head = true;  // every model can carry one
  for (const auto& info : list_models()) {
    for (const auto& knob : info.knobs) EXPECT_TRUE(vocabulary.count(knob)) << info.name << knob;
    EXPECT_NO_THROW(check_model_knobs(info.name, defaults)) << info.name;
    EXPECT_NO_THROW(check_model_knobs(info.name, head)) << info.name;
    ModelOptions aux;
    aux.aux_head = true;
    if (info.has_aux_head()) {
      EXPECT_NO_THROW(check_model_knobs(info.name, aux)) << info.name;
    } else {
      EXPECT_THROW(check_model_knobs(info.name, aux), Error) << info.name;
    }
  }
  ModelOptions narrow;
  narrow.base_width = 16;
  EXPECT_NO_THROW(check_model_knobs("unet", narrow));
  try {
    check_model_knobs("lraspp_mobilenet_v3_large", narrow);
    ADD_FAILURE() << "base_width accepted for LR-ASPP";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConfig);
    EXPECT_NE(std::string(e.what()).find("base_width"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("16"), std::string::npos) << e.what();
  }
}

// The aux-head fact of the registry is what the models build.
TEST(Registry, AuxHeadFactMatchesTheBuiltModel) {
  for (const char* name : {"lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large"}) {
    ModelOptions options;
    options.num_classes = 3;
    options.aux_head = find_model(name).has_aux_head();
    options.width_multiplier = find_model(name).reads("width_multiplier") ? 0.125 : 1.0;
    auto model = create_model(name, options);
    model->eval();
    torch::NoGradGuard no_grad;
    EXPECT_EQ(model->forward_all(torch::zeros({1, 3, 32, 32})).aux.defined(),
              find_model(name).has_aux_head())
        << name;
  }
}

}  // namespace
}  // namespace fashionseg
