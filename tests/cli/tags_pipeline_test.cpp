// Learning from tags end to end through the real binary, on synthetic photos: prepare a
// masked source with a tagged one, train a model with a category head and a mean teacher
// (resumable exactly), calibrate its category rule, and evaluate on the tag-only photos,
// whose scores must equal those counted from predict's own category lists.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "fashionseg/core/files.h"
#include "fashionseg/data/csv.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {
namespace fs = std::filesystem;
using test::run_fashionseg;
using test::shell_quote;

std::vector<std::string> lines_of(const fs::path& path) {
  std::vector<std::string> lines;
  std::istringstream in(read_file(path));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

/// 24 synthetic photos: the first 12 keep their masks, the other 12 become a tag source
/// (photos/ + tags.csv of the classes their masks held).
class TagsPipeline : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    const fs::path raw = *dir_ / "raw", tags = *dir_ / "tags";
    const auto synth =
        run_fashionseg("synth --count 24 --width 64 --height 96 -o " + shell_quote(raw.string()));
    ASSERT_EQ(synth.exit_code, 0) << synth.output;
    fs::create_directories(tags / "photos");
    std::map<std::string, std::set<std::string>> tagged;
    std::string kept;
    for (const std::string& line : lines_of(raw / "train.csv")) {
      const auto fields = parse_csv_record(line, Location{"train.csv", 0, {}});
      const std::string& id = fields.front();
      const int number = id == "ImageId" ? 0 : std::stoi(id.substr(6, 4));  // synth_NNNN.jpg
      if (number <= 12) {
        kept += line + "\n";
      } else {
        // iMaterialist 2019 ClassId: "<category>_<attribute>_...".
        const std::string& class_id = fields.back();
        tagged[id].insert(class_id.substr(0, class_id.find('_')));
      }
    }
    write_file_atomic(raw / "train.csv", kept);
    std::string csv = "ImageId,ClassIds\n";
    for (const auto& [id, classes] : tagged) {
      fs::rename(raw / "train" / id, tags / "photos" / id);
      csv += id + ",";
      for (const auto& c : classes) csv += (csv.back() == ',' ? "" : " ") + c;
      csv += "\n";
    }
    write_file_atomic(tags / "tags.csv", csv);
    const auto prepare =
        run_fashionseg("prepare --imaterialist " + shell_quote(raw.string()) + " --tags " +
                       shell_quote(tags.string()) + " --val-fraction 0.34 -o " +
                       shell_quote((*dir_ / "prepared").string()));
    ASSERT_EQ(prepare.exit_code, 0) << prepare.output;
    std::ofstream(*dir_ / "tags.yaml")
        << "model:\n  type: unet\n  base_width: 4\n  category_head: true\n"
           "data:\n  crop_width: 48\n  crop_height: 64\n  batch_size: 4\n  workers: 2\n"
           "  unmasked_per_batch: 2\n  unmasked_photos: tagged\n  two_views: true\n"
           "  cutout: 1\n  grayscale: 0.2\n"
           "loss:\n  category_weight: 1.0\n"
           "optimizer:\n  lr: 0.01\n"
           "self_training:\n  teacher: ema\n  ema_decay: 0.9\n  threshold: 0.3\n"
           "  rampup_epochs: 0.5\n"
           "train:\n  epochs: 2\n  val_every: 1\n";
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string train_args(const std::string& run) {
    return "train " + shell_quote((*dir_ / "tags.yaml").string()) + " --data " +
           shell_quote((*dir_ / "prepared").string()) + " -o " +
           shell_quote((*dir_ / run).string());
  }
  static test::TempDir* dir_;
};
test::TempDir* TagsPipeline::dir_ = nullptr;

std::vector<nlohmann::json> read_log(const fs::path& path) {
  std::vector<nlohmann::json> lines;
  for (const auto& line : lines_of(path)) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

TEST_F(TagsPipeline, MeanTeacherRunsResumeExactly) {
  // A constant learning rate: a one-epoch run's schedule would otherwise decay faster than
  // the two-epoch run's it is compared with.
  const std::string constant = " --set schedule.type=constant";
  ASSERT_EQ(run_fashionseg(train_args("straight") + constant).exit_code, 0);
  const auto first = run_fashionseg(train_args("split") + constant + " --set train.epochs=1");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const auto resumed = run_fashionseg(train_args("split") + constant + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  const auto straight = read_log(*dir_ / "straight/log.jsonl");
  const auto split = read_log(*dir_ / "split/log.jsonl");
  ASSERT_EQ(straight.size(), 2u);
  ASSERT_EQ(split.size(), 2u);
  // The second epoch depends on the teacher the first one left: equal only if it was restored.
  EXPECT_NEAR(straight[1]["train_loss"].get<double>(), split[1]["train_loss"].get<double>(), 1e-5);
  EXPECT_NEAR(straight[1]["val"]["mean_iou"].get<double>(),
              split[1]["val"]["mean_iou"].get<double>(), 1e-5);
  // The head stays out of the torchvision weights; the rest keeps torchvision's names.
  const fs::path exported = *dir_ / "straight.pt";
  const auto exported_run =
      run_fashionseg("export-weights " + shell_quote((*dir_ / "straight/last.fsm").string()) +
                     " -o " + shell_quote(exported.string()));
  ASSERT_EQ(exported_run.exit_code, 0) << exported_run.output;
  EXPECT_NE(exported_run.output.find("category head left out"), std::string::npos)
      << exported_run.output;
  const auto keys = test::run_command(
      shell_quote(test::python()) +
      " -c \"import sys, torch; k = torch.load(sys.argv[1]).keys(); "
      "print(sum(n.startswith('category_head') for n in k), 'classifier.weight' in k)\" " +
      shell_quote(exported.string()));
  EXPECT_EQ(keys.exit_code, 0) << keys.output;
  EXPECT_NE(keys.output.find("0 True"), std::string::npos) << keys.output;
}

TEST_F(TagsPipeline, CalibrateThenEvaluateScoresTagPhotosAsPredictListsThem) {
  const fs::path run = *dir_ / "pipeline";
  const auto train = run_fashionseg(train_args("pipeline"));
  ASSERT_EQ(train.exit_code, 0) << train.output;
  const fs::path calibrated = *dir_ / "calibrated.fsm";
  const auto calibrate =
      run_fashionseg("calibrate -m " + shell_quote((run / "last.fsm").string()) + " -d " +
                     shell_quote((*dir_ / "prepared").string()) +
                     " --folds 2 --min-positives 1 -o " + shell_quote(calibrated.string()) +
                     " --report " + shell_quote((*dir_ / "rule.json").string()));
  ASSERT_EQ(calibrate.exit_code, 0) << calibrate.output;
  EXPECT_NE(calibrate.output.find("cross-validated"), std::string::npos) << calibrate.output;
  const auto report = nlohmann::json::parse(read_file(*dir_ / "rule.json"));
  EXPECT_TRUE(report["category_head"].get<bool>());
  EXPECT_GT(report["tagged_photos"].get<int>(), 0);
  EXPECT_TRUE(report["rule"]["calibrated"].get<bool>());

  const fs::path out = *dir_ / "evaluated";
  const auto evaluate = run_fashionseg("evaluate -m " + shell_quote(calibrated.string()) + " -d " +
                                       shell_quote((*dir_ / "prepared").string()) + " -o " +
                                       shell_quote(out.string()));
  ASSERT_EQ(evaluate.exit_code, 0) << evaluate.output;
  const auto metrics = nlohmann::json::parse(read_file(out / "metrics.json"));
  ASSERT_GT(metrics["tag_images"].get<int>(), 0) << metrics.dump();

  // The same tag photos through predict: count hits against the index's tags ourselves.
  std::vector<std::pair<fs::path, std::set<int>>> tag_photos;
  for (const auto& line : lines_of(*dir_ / "prepared" / "index.csv")) {
    const auto f = parse_csv_record(line, Location{"index.csv", 0, {}});
    if (f[3] != "val" || f[6] != "tags") continue;
    std::set<int> tags;
    std::istringstream values(f[7]);
    for (int value; values >> value;) tags.insert(value);
    const fs::path image(f[1]);
    tag_photos.emplace_back(image.is_absolute() ? image : *dir_ / "prepared" / image, tags);
  }
  ASSERT_EQ(static_cast<int>(tag_photos.size()), metrics["tag_images"].get<int>());
  std::string inputs;
  for (const auto& [photo, tags] : tag_photos) inputs += " " + shell_quote(photo.string());
  const fs::path predicted = *dir_ / "predicted";
  const auto predict = run_fashionseg("predict -m " + shell_quote(calibrated.string()) + inputs +
                                      " --json -o " + shell_quote(predicted.string()));
  ASSERT_EQ(predict.exit_code, 0) << predict.output;
  int tp = 0, fp = 0, fn = 0;
  for (const auto& [photo, tags] : tag_photos) {
    const auto answer =
        nlohmann::json::parse(read_file(predicted / (photo.stem().string() + ".json")));
    std::set<int> listed;
    for (const auto& category : answer["categories"]) {
      listed.insert(category["id"].get<int>());
      const double confidence = category["confidence"].get<double>();
      EXPECT_GT(confidence, 0.0);
      EXPECT_LE(confidence, 1.0);
    }
    for (int id : listed) (tags.count(id) ? tp : fp) += 1;
    for (int id : tags) fn += listed.count(id) ? 0 : 1;
  }
  const auto& scores = metrics["tag_categories"];
  int evaluated_tp = 0, evaluated_fp = 0, evaluated_fn = 0;
  for (const auto& row : scores["classes"]) {
    evaluated_tp += row["true_positives"].get<int>();
    evaluated_fp += row["false_positives"].get<int>();
    evaluated_fn += row["false_negatives"].get<int>();
  }
  EXPECT_EQ(evaluated_tp, tp);
  EXPECT_EQ(evaluated_fp, fp);
  EXPECT_EQ(evaluated_fn, fn);
}

TEST_F(TagsPipeline, SelfTrainingNeedsPhotosWithoutMasks) {
  const auto result = run_fashionseg(train_args("refused") + " --set data.unmasked_per_batch=0");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("self_training.teacher"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace fashionseg
