// A run interrupted in the middle of an epoch (as SIGINT/SIGTERM do: stop after the current
// batch, write last.fsm) and resumed logs that epoch exactly as an uninterrupted run does:
// the same weights and validation, and a train loss over all the epoch's batches, not only
// those trained after the resume.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fashionseg/core/progress.h"
#include "fashionseg/data/train_config.h"
#include "fashionseg/torch/trainer.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

/// Requests a stop once `after` batches of the phase labelled `label` are done.
class StopAfterBatches final : public Progress {
 public:
  StopAfterBatches(std::string label, size_t after, std::atomic<bool>& stop)
      : label_(std::move(label)), after_(after), stop_(stop) {}
  void start(const std::string& label, size_t) override {
    counting_ = label.rfind(label_, 0) == 0;
    done_ = 0;
  }
  void advance(size_t units, const std::string&) override {
    if (counting_ && (done_ += units) >= after_) stop_ = true;
  }
  void finish() override {}

 private:
  std::string label_;
  size_t after_;
  size_t done_ = 0;
  bool counting_ = false;
  std::atomic<bool>& stop_;
};

std::vector<nlohmann::json> read_log(const std::filesystem::path& path) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

TEST(ResumeMidEpoch, LogsTheWholeEpochsLossAsAnUninterruptedRun) {
  test::TempDir dir;
  const auto synth = test::run_fashionseg("synth --count 12 --width 64 --height 96 -o " +
                                          test::shell_quote((dir / "raw").string()));
  ASSERT_EQ(synth.exit_code, 0) << synth.output;
  const auto prepare = test::run_fashionseg(
      "prepare --imaterialist " + test::shell_quote((dir / "raw").string()) +
      " --val-fraction 0.25 -o " + test::shell_quote((dir / "prepared").string()));
  ASSERT_EQ(prepare.exit_code, 0) << prepare.output;
  // One photo per batch: 9 batches per epoch, so there is a middle to stop in. A constant
  // learning rate keeps the schedule out of the comparison.
  const std::string yaml =
      "model:\n  type: unet\n  base_width: 4\n"
      "data:\n  root: " +
      (dir / "prepared").string() +
      "\n  crop_width: 48\n  crop_height: 64\n  batch_size: 1\n"
      "  workers: 1\n"
      "optimizer:\n  lr: 0.01\nschedule:\n  type: constant\n"
      "train:\n  epochs: 2\n  val_every: 1\n";
  auto config_for = [&](const std::string& run) {
    return parse_train_config(yaml, "resume.yaml", {"train.output=" + (dir / run).string()});
  };
  const TrainSummary straight = train_model(config_for("straight"));
  ASSERT_EQ(straight.epochs_completed, 2);

  std::atomic<bool> stop{false};
  StopAfterBatches stopper("epoch 2", 4, stop);
  TrainerOptions interrupted;
  interrupted.stop_requested = &stop;
  interrupted.progress = &stopper;
  const TrainSummary first = train_model(config_for("split"), interrupted);
  ASSERT_EQ(first.stop_reason, "interrupted");
  ASSERT_EQ(first.epochs_completed, 1);
  TrainerOptions resume;
  resume.resume = true;
  const TrainSummary second = train_model(config_for("split"), resume);
  ASSERT_EQ(second.stop_reason, "completed");

  const auto a = read_log(dir / "straight/log.jsonl");
  const auto b = read_log(dir / "split/log.jsonl");
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_NEAR(a[1]["val"]["mean_iou"].get<double>(), b[1]["val"]["mean_iou"].get<double>(), 1e-6);
  EXPECT_NEAR(a[1]["train_loss"].get<double>(), b[1]["train_loss"].get<double>(), 1e-5);
  EXPECT_NEAR(straight.last_train_loss, second.last_train_loss, 1e-5);
}

}  // namespace
}  // namespace fashionseg
