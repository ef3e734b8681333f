// `fashionseg evaluate` scores exactly what `fashionseg predict` ships: for the plain path,
// flip, multi-scale and sliding window, the metrics evaluate writes (confusion matrix,
// category scores, everything derived) equal the ones built here from predict's masks and
// per-photo category lists of the same photos with the same options.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "fashionseg/core/files.h"
#include "fashionseg/data/dataset_index.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/data/metrics.h"
#include "fashionseg/data/metrics_json.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {
namespace fs = std::filesystem;
using test::run_fashionseg;
using test::shell_quote;

/// A synthetic dataset whose photos (64 x 96) do not fit the model's box (48 x 64) as they
/// are, so fitting, padding, un-padding and resizing back all take part, and a tiny U-Net
/// trained on it for one epoch.
class EvaluateEqualsPredict : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    const auto synth = run_fashionseg("synth --count 10 --width 64 --height 96 -o " +
                                      shell_quote((*dir_ / "raw").string()));
    ASSERT_EQ(synth.exit_code, 0) << synth.output;
    const auto prepare =
        run_fashionseg("prepare --imaterialist " + shell_quote((*dir_ / "raw").string()) +
                       " --val-fraction 0.5 -o " + shell_quote((*dir_ / "prepared").string()));
    ASSERT_EQ(prepare.exit_code, 0) << prepare.output;
    std::ofstream(*dir_ / "tiny.yaml") << "model:\n  type: unet\n  base_width: 4\n"
                                          "data:\n  crop_width: 48\n  crop_height: 64\n"
                                          "  batch_size: 5\n  workers: 1\n"
                                          "optimizer:\n  lr: 0.01\n"
                                          "train:\n  epochs: 1\n  val_every: 1\n";
    const auto train = run_fashionseg("train " + shell_quote((*dir_ / "tiny.yaml").string()) +
                                      " --data " + shell_quote((*dir_ / "prepared").string()) +
                                      " -o " + shell_quote((*dir_ / "run").string()));
    ASSERT_EQ(train.exit_code, 0) << train.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  /// evaluate's metrics.json and the same metrics built from predict's outputs, both with
  /// `options`; also checks that the predictions are not trivial (several classes).
  static void expect_same_scores(const std::string& options, const std::string& name) {
    const fs::path model = *dir_ / "run" / "last.fsm";
    const PreparedDataset dataset = read_prepared_dataset(*dir_ / "prepared");
    const auto& photos = dataset.split("val");
    ASSERT_GE(photos.size(), 3u);

    const fs::path evaluated = *dir_ / ("eval-" + name);
    const auto evaluate =
        run_fashionseg("evaluate -m " + shell_quote(model.string()) + " -d " +
                       shell_quote((*dir_ / "prepared").string()) + " --split val --batch-size 2 " +
                       options + " -o " + shell_quote(evaluated.string()));
    ASSERT_EQ(evaluate.exit_code, 0) << evaluate.output;

    const fs::path predicted = *dir_ / ("predict-" + name);
    std::string arguments = "predict -q --mask --json --batch-size 3 -m " +
                            shell_quote(model.string()) + " " + options + " -o " +
                            shell_quote(predicted.string());
    for (const auto& photo : photos) arguments += " " + shell_quote(photo.image.string());
    const auto predict = run_fashionseg(arguments);
    ASSERT_EQ(predict.exit_code, 0) << predict.output;

    const int classes = static_cast<int>(dataset.class_names.size());
    ConfusionMatrix matrix(classes);
    CategoryDetection categories(classes, 0.001);
    std::set<int> labels_seen;
    for (const auto& photo : photos) {
      const std::string stem = photo.image.stem().string();
      const cv::Mat truth = read_label_mask(photo.mask);
      const cv::Mat mask = read_label_mask(predicted / (stem + "_mask.png"));
      ASSERT_EQ(mask.size(), truth.size()) << stem;
      matrix.add(truth, mask);
      std::vector<int> listed;
      const auto record = nlohmann::json::parse(read_file(predicted / (stem + ".json")));
      for (const auto& category : record["categories"]) listed.push_back(category["id"].get<int>());
      categories.add(truth, listed);
      for (int y = 0; y < mask.rows; ++y) {
        for (int x = 0; x < mask.cols; ++x) labels_seen.insert(mask.at<uint8_t>(y, x));
      }
    }
    EXPECT_GE(labels_seen.size(), 2u) << "a constant prediction would prove little";
    const nlohmann::json expected = metrics_to_json(matrix, categories, dataset.class_names);
    const nlohmann::json actual = nlohmann::json::parse(read_file(evaluated / "metrics.json"));
    EXPECT_EQ(actual["confusion_matrix"], expected["confusion_matrix"]) << options;
    EXPECT_EQ(actual, expected) << options;
  }

  static test::TempDir* dir_;
};
test::TempDir* EvaluateEqualsPredict::dir_ = nullptr;

TEST_F(EvaluateEqualsPredict, Plain) { expect_same_scores("", "plain"); }

TEST_F(EvaluateEqualsPredict, Flip) { expect_same_scores("--flip", "flip"); }

TEST_F(EvaluateEqualsPredict, Scales) { expect_same_scores("--scales 0.75,1.25", "scales"); }

TEST_F(EvaluateEqualsPredict, Window) { expect_same_scores("--window 1.5 --flip", "window"); }

TEST_F(EvaluateEqualsPredict, FastScoresTheModelSizeAndRefusesScales) {
  const fs::path model = *dir_ / "run" / "last.fsm";
  const std::string common = "evaluate -m " + shell_quote(model.string()) + " -d " +
                             shell_quote((*dir_ / "prepared").string()) + " --fast";
  const auto fast = run_fashionseg(common + " -o " + shell_quote((*dir_ / "fast").string()));
  ASSERT_EQ(fast.exit_code, 0) << fast.output;
  const auto metrics = nlohmann::json::parse(read_file(*dir_ / "fast" / "metrics.json"));
  // Every counted pixel of the fitted masks, fewer than the photos' own.
  uint64_t counted = 0;
  for (const auto& row : metrics["confusion_matrix"]) {
    for (const auto& cell : row) counted += cell.get<uint64_t>();
  }
  EXPECT_GT(counted, 0u);
  EXPECT_LT(counted, 64u * 96u * read_prepared_dataset(*dir_ / "prepared").val.size());
  const auto refused = run_fashionseg(common + " --scales 1,2");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("--fast"), std::string::npos) << refused.output;
}

}  // namespace
}  // namespace fashionseg
