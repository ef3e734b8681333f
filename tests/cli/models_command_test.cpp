// `fashionseg models`: every architecture listed with its parameter count.
#include <gtest/gtest.h>

#include <regex>

#include "support/test_support.h"

namespace fashionseg {
namespace {

// The design brief's torchvision figures (21 classes with the aux head): 35,322,218 and
// 42,004,074 parameters.
TEST(ModelsCommand, ListsEveryModelWithTorchvisionCountsFor21ClassesAndAux) {
  const auto result = test::run_fashionseg("models --classes 21 --aux");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(std::regex_search(result.output, std::regex(R"(\nfcn_resnet50 +35\.32M )")))
      << result.output;
  EXPECT_TRUE(std::regex_search(result.output, std::regex(R"(\ndeeplabv3_resnet50 +42\.00M )")))
      << result.output;
  for (const char* name :
       {"atrous_resnet50", "lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large",
        "segnet_vgg16", "unet", "fc_densenet56", "fc_densenet67", "fc_densenet103"}) {
    EXPECT_NE(result.output.find(std::string("\n") + name + " "), std::string::npos) << name;
  }
}

TEST(ModelsCommand, ZeroClassesIsAUsageError) {
  const auto result = test::run_fashionseg("models --classes 0");
  EXPECT_NE(result.exit_code, 0) << result.output;
}

}  // namespace
}  // namespace fashionseg
