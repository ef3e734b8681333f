// The fashionseg binary's basics: --version, --help, unknown subcommands.
#include <gtest/gtest.h>

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
