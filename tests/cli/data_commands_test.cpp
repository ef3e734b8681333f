// synth -> prepare -> stats through the real binary, and the data commands' errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/test_support.h"

namespace fashionseg {
namespace {

namespace fs = std::filesystem;
using test::run_fashionseg;
using test::shell_quote;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(DataCommands, SynthPrepareStatsEndToEnd) {
  test::TempDir dir;
  const std::string data = shell_quote((dir / "data").string());
  const std::string prepared = shell_quote((dir / "prepared").string());
  auto result = run_fashionseg("synth -o " + data + " --count 10 --width 96 --height 144 --seed 4");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(fs::is_regular_file(dir / "data" / "train.csv"));
  EXPECT_TRUE(fs::is_regular_file(dir / "data" / "train" / "synth_0010.jpg"));
  // The ClassId column carries attributes.
  EXPECT_NE(slurp(dir / "data" / "train.csv").find(",6_33_46\n"), std::string::npos);

  result = run_fashionseg("--threads 2 prepare --imaterialist " + data + " -o " + prepared +
                          " --val-fraction 0.3");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("prepared 10 photos (10 masks written"), std::string::npos)
      << result.output;
  int masks = 0;
  for (const auto& entry : fs::directory_iterator(dir / "prepared" / "masks"))
    masks += entry.is_regular_file();
  EXPECT_EQ(masks, 10);
  const std::string index = slurp(dir / "prepared" / "index.csv");
  EXPECT_EQ(index.rfind("image_id,image,mask,split,width,height,supervision,tags,source\n", 0), 0u)
      << index;

  // Again: everything is kept.
  result =
      run_fashionseg("prepare --imaterialist " + data + " -o " + prepared + " --val-fraction 0.3");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("0 masks written, 10 kept"), std::string::npos) << result.output;

  result = run_fashionseg("stats " + prepared);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("sleeve"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("10 photos"), std::string::npos) << result.output;
  EXPECT_TRUE(fs::is_regular_file(dir / "prepared" / "class_frequencies.png"));

  // Synthesis is deterministic.
  result = run_fashionseg("synth -o " + shell_quote((dir / "again").string()) +
                          " --count 10 --width 96 --height 144 --seed 4");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(slurp(dir / "again" / "train.csv"), slurp(dir / "data" / "train.csv"));
}

TEST(DataCommands, PrepareErrorsAreOneMessageAndAnExitCode) {
  test::TempDir dir;
  auto result = run_fashionseg("prepare --imaterialist " + shell_quote((dir / "none").string()) +
                               " -o " + shell_quote((dir / "out").string()));
  EXPECT_EQ(result.exit_code, 4) << result.output;
  EXPECT_NE(result.output.find("label_descriptions.json"), std::string::npos) << result.output;

  ASSERT_EQ(
      run_fashionseg("synth -o " + shell_quote((dir / "data").string()) + " --count 2").exit_code,
      0);
  {
    std::ofstream csv(dir / "data" / "train.csv", std::ios::app);
    csv << "synth_0001.jpg,1 4 2 3,288,192,6\n";
  }
  result = run_fashionseg("prepare --imaterialist " + shell_quote((dir / "data").string()) +
                          " -o " + shell_quote((dir / "out").string()));
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_NE(result.output.find("ImageId synth_0001.jpg"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("overlaps"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(dir / "out" / "index.csv"));

  result =
      run_fashionseg("prepare --imaterialist " + shell_quote((dir / "data").string()) + " -o " +
                     shell_quote((dir / "out2").string()) + " --label-space nonsense");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("unknown label space"), std::string::npos) << result.output;
}

TEST(DataCommands, DemoRunsTheDataPath) {
  test::TempDir dir;
  const auto result = run_fashionseg("demo -o " + shell_quote((dir / "demo").string()));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("index:"), std::string::npos) << result.output;
  EXPECT_TRUE(fs::is_regular_file(dir / "demo" / "prepared" / "stats.json"));
}

}  // namespace
}  // namespace fashionseg
