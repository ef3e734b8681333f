// The registry: lookups, unknown names, option validation.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "fashionseg/error.h"
#include "fashionseg/models.h"

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

TEST(Registry, UnknownNameIsANotFoundErrorListingTheValidNames) {
  try {
    create_model("deeplabv4_resnet51");
    FAIL() << "no error for an unknown model";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
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

}  // namespace
}  // namespace fashionseg
