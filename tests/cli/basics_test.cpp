// The fashionseg binary's basics: --version, --help, unknown subcommands.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "support/test_support.h"

namespace fashionseg {
namespace {

TEST(Cli, VersionPrintsProjectVersion) {
  const auto result = test::run_fashionseg("--version");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.output.find("fashionseg 0."), std::string::npos) << result.output;
}

TEST(Cli, NoSubcommandIsAUsageError) {
  const auto result = test::run_fashionseg("");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("subcommand"), std::string::npos) << result.output;
}

TEST(Cli, UnknownSubcommandIsAnError) {
  const auto result = test::run_fashionseg("frobnicate");
  EXPECT_NE(result.exit_code, 0);
}

TEST(Cli, InfoReportsThreads) {
  const auto result = test::run_fashionseg("--threads 2 info");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("threads    2"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace fashionseg

namespace fashionseg {
namespace {

TEST(Cli, EveryFailureExitsWithADocumentedCode) {
  // Usage errors are configuration errors (2), not CLI11's own 105/106/109.
  for (const char* arguments : {"frobnicate", "info --no-such-option", "--threads x info",
                                "prepare --seed not-a-number -o x", ""}) {
    const auto result = test::run_fashionseg(arguments);
    EXPECT_EQ(result.exit_code, 2) << arguments << "\n" << result.output;
  }
  EXPECT_EQ(test::run_fashionseg("--help").exit_code, 0);
  // An output folder that cannot be made is an I/O error (4), not an internal one (1).
  test::TempDir dir;
  std::ofstream(dir / "a-file") << "x";
  for (const std::string& output : {(dir / "a-file").string(), std::string("/proc/fashionseg")}) {
    const auto result =
        test::run_fashionseg("synth -o " + test::shell_quote(output) + " --count 1");
    EXPECT_EQ(result.exit_code, 4) << output << "\n" << result.output;
    EXPECT_THAT(result.output, ::testing::HasSubstr("fashionseg: error:")) << result.output;
  }
}

}  // namespace
}  // namespace fashionseg
