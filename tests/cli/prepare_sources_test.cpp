// `prepare` combining a synthetic masked source, a tag file and an unlabelled folder through
// the real binary, then a short training run on the combined dataset with mixed batches;
// and the errors of the new inputs.
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

size_t count_of(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// Synthetic photos: masked ones in data/, the tagged and unlabelled ones are more synthetic
// photos (another seed) moved into folders of their own.
struct CombinedSources {
  test::TempDir dir;
  CombinedSources() {
    auto result = run_fashionseg("synth -o " + q(dir / "data") +
                                 " --count 8 --width 64 --height 96 --seed 3");
    EXPECT_EQ(result.exit_code, 0) << result.output;
    result = run_fashionseg("synth -o " + q(dir / "more") +
                            " --count 6 --width 64 --height 96 --seed 9");
    EXPECT_EQ(result.exit_code, 0) << result.output;
    fs::create_directories(dir / "tags" / "photos");
    fs::create_directories(dir / "plain");
    for (int i = 1; i <= 6; ++i) {
      const std::string from = "synth_000" + std::to_string(i) + ".jpg";
      const fs::path to = i <= 4
                              ? dir / "tags" / "photos" / ("street_" + std::to_string(i) + ".jpg")
                              : dir / "plain" / ("shot_" + std::to_string(i) + ".jpg");
      fs::rename(dir / "more" / "train" / from, to);
    }
    std::ofstream(dir / "tags" / "tags.csv") << "ImageId,ClassIds\n"
                                                "street_1.jpg,0 6 23\n"
                                                "street_2.jpg,\"dress;shoe;bag, wallet\"\n"
                                                "street_3.jpg,jacket pants\n"
                                                "street_4.jpg,10\n";
  }
  static std::string q(const fs::path& path) { return shell_quote(path.string()); }
  std::string prepare(const std::string& extra = "") const {
    return "--threads 2 prepare --imaterialist " + q(dir / "data") + " --tags " + q(dir / "tags") +
           " --unlabelled " + q(dir / "plain") + " -o " + q(dir / "out") +
           " --label-space main --val-fraction 0.25 " + extra;
  }
};

TEST(PrepareSources, MaskedTaggedAndUnlabelledInOneDatasetThenTrained) {
  CombinedSources sources;
  auto result = run_fashionseg(sources.prepare());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("8 with masks, 4 with tags, 2 unlabelled"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("(tags): 4 photos"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("(none): 2 photos"), std::string::npos) << result.output;
  const std::string index = slurp(sources.dir / "out" / "index.csv");
  const std::string rows = index.substr(index.find('\n') + 1);  // without the header
  EXPECT_EQ(count_of(rows, ",mask,"), 8u) << index;
  EXPECT_EQ(count_of(rows, ",tags,"), 4u) << index;
  EXPECT_EQ(count_of(rows, ",none,"), 2u) << index;
  // main: shirt 0 -> 1, pants 6 -> 7, shoe 23 -> 24, dress 10 -> 11, bag 24 -> 25, jacket 4 -> 5.
  EXPECT_NE(index.find("street_1.jpg,"), std::string::npos);
  EXPECT_NE(index.find(",tags,1 7 24,"), std::string::npos) << index;
  EXPECT_NE(index.find(",tags,11 24 25,"), std::string::npos) << index;
  EXPECT_NE(index.find(",tags,5 7,"), std::string::npos) << index;
  const std::string stats = slurp(sources.dir / "out" / "stats.json");
  EXPECT_NE(stats.find("\"photos\": 8,"), std::string::npos) << "pixel statistics: masked only";
  EXPECT_NE(stats.find("\"tagged_photos\": 4"), std::string::npos) << stats;

  // Resuming keeps every mask; the stats command reads the new statistics.
  result = run_fashionseg(sources.prepare());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("0 masks written, 8 kept"), std::string::npos) << result.output;
  result = run_fashionseg("stats " + sources.q(sources.dir / "out"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("tagged"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("8 photos"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("4 photos with tags only, 2 unlabelled"), std::string::npos)
      << result.output;

  // A short training run with two photos without masks in every batch of four.
  std::ofstream(sources.dir / "config.yaml")
      << "model: {type: unet, base_width: 4}\n"
         "data: {root: "
      << (sources.dir / "out").string()
      << ", crop_width: 64, crop_height: 96, batch_size: 4, workers: 1, "
         "unmasked_per_batch: 2, zoom: 0.5, background: 0.5, grayscale: 0.2, blur: 0.2, "
         "jpeg: 0.2, two_views: true, cutout: 2}\n"
         "train: {epochs: 1, val_every: 1, output: "
      << (sources.dir / "run").string() << "}\n";
  result = run_fashionseg("--threads 2 train " + sources.q(sources.dir / "config.yaml"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(fs::is_regular_file(sources.dir / "run" / "last.fsm"));
  const std::string resolved = slurp(sources.dir / "run" / "config.yaml");
  EXPECT_NE(resolved.find("unmasked_per_batch: 2"), std::string::npos) << resolved;
}

TEST(PrepareSources, BadTagsAndDuplicatesAreOneMessageNamingFileAndLine) {
  CombinedSources sources;
  std::ofstream(sources.dir / "tags" / "tags.csv", std::ios::app) << "street_5.jpg,0\n";
  auto result = run_fashionseg(sources.prepare());
  EXPECT_EQ(result.exit_code, 4) << result.output;
  EXPECT_NE(result.output.find("tags.csv:6"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("street_5.jpg"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(sources.dir / "out" / "index.csv"));

  std::ofstream(sources.dir / "tags" / "tags.csv") << "ImageId,ClassIds\nstreet_1.jpg,0 jumper\n";
  result = run_fashionseg(sources.prepare());
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_NE(result.output.find("tags.csv:2"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("unknown category 'jumper'"), std::string::npos) << result.output;

  // The unlabelled folder also holds a photo of the tag file.
  std::ofstream(sources.dir / "tags" / "tags.csv") << "ImageId,ClassIds\nshot_5.jpg,0\n";
  fs::copy_file(sources.dir / "plain" / "shot_5.jpg",
                sources.dir / "tags" / "photos" / "shot_5.jpg");
  result = run_fashionseg(sources.prepare());
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_NE(result.output.find("two sources"), std::string::npos) << result.output;

  // Tags without a masked source need the taxonomy.
  result = run_fashionseg("prepare --tags " + sources.q(sources.dir / "tags") + " -o " +
                          sources.q(sources.dir / "out3"));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("--labels"), std::string::npos) << result.output;
  result = run_fashionseg("prepare --tags " + sources.q(sources.dir / "tags") + " --labels " +
                          sources.q(sources.dir / "data" / "label_descriptions.json") + " -o " +
                          sources.q(sources.dir / "out3"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

}  // namespace
}  // namespace fashionseg
