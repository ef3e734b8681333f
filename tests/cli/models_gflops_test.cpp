// `fashionseg models --size HxW`: the GFLOPs column equals an independent count (forward hooks
// on torchvision's Conv2d/Linear modules, tests/golden/make_golden.py macs).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <regex>
#include <sstream>

#include "support/test_support.h"

namespace fashionseg {
namespace {

TEST(ModelsGflops, ColumnMatchesTorchvisionForwardHookCounts) {
  const auto script = (test::source_dir() / "tests/golden/make_golden.py").string();
  const auto reference =
      test::run_command(test::shell_quote(test::python()) + " " + test::shell_quote(script) +
                        " macs 67 83 fcn_resnet50 deeplabv3_resnet50 lraspp_mobilenet_v3_large");
  ASSERT_EQ(reference.exit_code, 0) << reference.output;
  // make_golden.py builds 5 classes with the aux heads (torchvision's aux_loss=True).
  const auto listed = test::run_fashionseg("models --classes 5 --aux --size 67x83");
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_THAT(listed.output, ::testing::HasSubstr("GFLOPs"));
  std::istringstream lines(reference.output);
  std::string word, name;
  long long macs = 0;
  int checked = 0;
  while (lines >> word) {
    if (word != "MACS" || !(lines >> name >> macs)) continue;
    char expected[32];
    std::snprintf(expected, sizeof(expected), "%.2f", static_cast<double>(macs) / 1e9);
    // row: name, params, GFLOPs, ...
    const std::regex row("\n" + name + R"( +[0-9.]+M +([0-9.]+) )");
    std::smatch match;
    ASSERT_TRUE(std::regex_search(listed.output, match, row)) << name << "\n" << listed.output;
    EXPECT_EQ(match[1].str(), expected) << name;
    ++checked;
  }
  EXPECT_EQ(checked, 3) << reference.output;
}

TEST(ModelsGflops, MalformedSizeIsAConfigurationError) {
  const auto result = test::run_fashionseg("models --size 520");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output, ::testing::HasSubstr("HEIGHTxWIDTH"));
}

}  // namespace
}  // namespace fashionseg
