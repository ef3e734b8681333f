// Training end to end through the real binary, on tiny synthetic data: train a few steps,
// interrupt-free resume, evaluate, and the error paths of the train command.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "fashionseg/core/files.h"
#include "fashionseg/core/precision.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {
namespace fs = std::filesystem;
using test::run_fashionseg;
using test::shell_quote;

/// A synthetic dataset, prepared, shared by the tests of this file (built once).
class TrainCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    const auto synth = run_fashionseg("synth --count 12 --width 64 --height 96 -o " +
                                      shell_quote((*dir_ / "raw").string()));
    ASSERT_EQ(synth.exit_code, 0) << synth.output;
    const auto prepare =
        run_fashionseg("prepare --imaterialist " + shell_quote((*dir_ / "raw").string()) +
                       " --val-fraction 0.25 -o " + shell_quote((*dir_ / "prepared").string()));
    ASSERT_EQ(prepare.exit_code, 0) << prepare.output;
    std::ofstream(*dir_ / "tiny.yaml") << "model:\n  type: unet\n  base_width: 4\n"
                                          "data:\n  crop_width: 48\n  crop_height: 64\n"
                                          "  batch_size: 4\n  workers: 2\n"
                                          "optimizer:\n  lr: 0.01\n"
                                          "train:\n  epochs: 2\n  val_every: 1\n";
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string common_args(const std::string& run) {
    return shell_quote((*dir_ / "tiny.yaml").string()) + " --data " +
           shell_quote((*dir_ / "prepared").string()) + " -o " +
           shell_quote((*dir_ / run).string());
  }
  static test::TempDir* dir_;
};
test::TempDir* TrainCli::dir_ = nullptr;

std::vector<nlohmann::json> read_log(const fs::path& path) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

TEST_F(TrainCli, TrainsResumesEvaluates) {
  const auto train = run_fashionseg("train " + common_args("run") + " --set train.epochs=1");
  ASSERT_EQ(train.exit_code, 0) << train.output;
  const fs::path run = *dir_ / "run";
  for (const char* file :
       {"config.yaml", "last.fsm", "best.fsm", "log.jsonl", "best_metrics.json"}) {
    EXPECT_TRUE(fs::exists(run / file)) << file;
  }
  auto log = read_log(run / "log.jsonl");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_TRUE(log[0].contains("val"));
  EXPECT_TRUE(log[0]["train_loss"].get<double>() > 0);

  // The resolved config records the overrides.
  EXPECT_NE(read_file(run / "config.yaml").find("epochs: 1"), std::string::npos);

  // Starting again in the same directory without --resume is refused.
  const auto again = run_fashionseg("train " + common_args("run") + " --set train.epochs=2");
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.output.find("--resume"), std::string::npos) << again.output;

  // Resume to two epochs: the first epoch's log line is kept, a second one is added.
  const auto resumed =
      run_fashionseg("train " + common_args("run") + " --set train.epochs=2 --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  log = read_log(run / "log.jsonl");
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0]["epoch"], 1);
  EXPECT_EQ(log[1]["epoch"], 2);

  const auto evaluate = run_fashionseg("evaluate -m " + shell_quote((run / "best.fsm").string()) +
                                       " -d " + shell_quote((*dir_ / "prepared").string()) +
                                       " --flip -o " + shell_quote((*dir_ / "eval").string()));
  ASSERT_EQ(evaluate.exit_code, 0) << evaluate.output;
  const auto metrics = nlohmann::json::parse(read_file(*dir_ / "eval/metrics.json"));
  EXPECT_GT(metrics["images"].get<int>(), 0);
  EXPECT_TRUE(metrics["pixel_accuracy"].is_number());
  EXPECT_TRUE(fs::exists(*dir_ / "eval/confusion.csv"));
  EXPECT_TRUE(fs::exists(*dir_ / "eval/confusion.png"));

  const auto report = run_fashionseg("report " + shell_quote(run.string()) + " --examples 2");
  ASSERT_EQ(report.exit_code, 0) << report.output;
  const std::string html = read_file(run / "report.html");
  EXPECT_NE(html.find("Training loss"), std::string::npos);
  EXPECT_NE(html.find("Per-class IoU"), std::string::npos);
  EXPECT_NE(html.find("data:image/jpeg;base64,"), std::string::npos);  // example panels
  EXPECT_NE(html.find("data:image/png;base64,"), std::string::npos);   // confusion matrix

  const auto compare =
      run_fashionseg("compare " + shell_quote(run.string()) + " " + shell_quote(run.string()) +
                     " -o " + shell_quote((*dir_ / "cmp.html").string()));
  ASSERT_EQ(compare.exit_code, 0) << compare.output;
  EXPECT_NE(read_file(*dir_ / "cmp.html").find("Comparison of 2 runs"), std::string::npos);
}

// With a learning rate too small to change any weight and no BatchNorm (whose running
// statistics would move), predictions never change, so validation mIoU never improves after
// the first validation: early_stop 2 ends the run after epoch 3 of 6.
TEST_F(TrainCli, EarlyStopEndsTheRunAfterValidationsWithoutImprovement) {
  const auto train = run_fashionseg(
      "train " + common_args("early") +
      " --set train.epochs=6 --set train.early_stop=2"
      " --set model.batch_norm=false --set optimizer.lr=1e-12 --set optimizer.weight_decay=0"
      " --set schedule.warmup_iters=0");
  ASSERT_EQ(train.exit_code, 0) << train.output;
  EXPECT_NE(train.output.find("stopped: early_stop after 3 epoch(s)"), std::string::npos)
      << train.output;
  const auto log = read_log(*dir_ / "early/log.jsonl");
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0]["val"]["mean_iou"], log[2]["val"]["mean_iou"]);
  EXPECT_TRUE(fs::exists(*dir_ / "early/last.fsm"));

  // Without early stopping the same run goes on to the last epoch.
  const auto full = run_fashionseg("train " + common_args("full") +
                                   " --set train.epochs=4 --set model.batch_norm=false"
                                   " --set optimizer.lr=1e-12"
                                   " --set optimizer.weight_decay=0 --set schedule.warmup_iters=0");
  ASSERT_EQ(full.exit_code, 0) << full.output;
  EXPECT_NE(full.output.find("stopped: completed after 4 epoch(s)"), std::string::npos)
      << full.output;
}

TEST_F(TrainCli, ResumeContinuesExactlyAsAnUninterruptedRun) {
  // Two epochs in one go vs one epoch then a resumed second: same weights.
  ASSERT_EQ(run_fashionseg("train " + common_args("straight")).exit_code, 0);
  ASSERT_EQ(run_fashionseg("train " + common_args("split") + " --set train.epochs=1").exit_code, 0);
  const auto resumed = run_fashionseg("train " + common_args("split") + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  const auto straight = read_log(*dir_ / "straight/log.jsonl");
  const auto split = read_log(*dir_ / "split/log.jsonl");
  ASSERT_EQ(straight.size(), 2u);
  ASSERT_EQ(split.size(), 2u);
  EXPECT_NEAR(straight[1]["train_loss"].get<double>(), split[1]["train_loss"].get<double>(), 1e-5);
  EXPECT_NEAR(straight[1]["val"]["mean_iou"].get<double>(),
              split[1]["val"]["mean_iou"].get<double>(), 1e-5);
}

TEST_F(TrainCli, PrecisionFollowsTheRegistrysTrainingVerdict) {
  // U-Net trains faster in bf16 where the CPU has it natively; LR-ASPP's depthwise
  // convolutions do not (bench/RESULTS.md), so auto keeps it in fp32 everywhere.
  const auto unet = run_fashionseg("train " + common_args("precision-unet") +
                                   " --set train.epochs=1 --set train.val_every=0");
  ASSERT_EQ(unet.exit_code, 0) << unet.output;
  EXPECT_NE(unet.output.find(cpu_has_native_bf16() ? "precision bf16 (autocast), NHWC"
                                                   : "precision fp32, NCHW"),
            std::string::npos)
      << unet.output;
  const auto lraspp =
      run_fashionseg("train " + common_args("precision-lraspp") +
                     " --set model.type=lraspp_mobilenet_v3_large --set model.base_width=64 "
                     "--set train.epochs=1 --set train.val_every=0 --set train.max_iters=1");
  ASSERT_EQ(lraspp.exit_code, 0) << lraspp.output;
  EXPECT_NE(lraspp.output.find("precision fp32, NHWC"), std::string::npos) << lraspp.output;
  const auto forced =
      run_fashionseg("train " + common_args("precision-bad") + " --set train.precision=half");
  EXPECT_EQ(forced.exit_code, 2) << forced.output;
  EXPECT_NE(forced.output.find("train.precision"), std::string::npos) << forced.output;
}

TEST_F(TrainCli, BadConfigsGiveOneClearMessage) {
  std::ofstream(*dir_ / "bad.yaml") << "model:\n  type: unet\n  widht: 3\n";
  auto result = run_fashionseg("train " + shell_quote((*dir_ / "bad.yaml").string()));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("bad.yaml:3"), std::string::npos) << result.output;

  result = run_fashionseg("train " + common_args("x") + " --set model.type=no_such_model");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("unet"), std::string::npos) << result.output;  // valid names

  // A knob the model does not read (U-Net has no output stride), and mixed precision, which
  // needs CUDA: errors rather than settings silently ignored.
  result = run_fashionseg("train " + common_args("w") + " --set model.output_stride=16");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("output_stride"), std::string::npos) << result.output;
  result = run_fashionseg("train " + common_args("v") + " --set train.amp=true");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("train.amp"), std::string::npos) << result.output;

  result = run_fashionseg("train " + common_args("y") + " --set data.root=/nonexistent");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("/nonexistent"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(*dir_ / "y/last.fsm"));
}

TEST_F(TrainCli, PrintConfigShowsResolvedValues) {
  const auto result =
      run_fashionseg("train " + common_args("z") + " --set optimizer.lr=0.5 --print-config");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("lr: 0.5"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace fashionseg
