// Data parallel training over c10d: two processes on loopback, each with half the global
// batch, end with the same weights as one process with the whole batch.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "fashionseg/core/error.h"
#include "fashionseg/torch/checkpoint.h"
#include "support/test_support.h"
#include "train/distributed.h"

namespace fashionseg {
namespace {
namespace fs = std::filesystem;
using test::shell_quote;

TEST(Distributed, EnvironmentIsValidated) {
  ::setenv("WORLD_SIZE", "2", 1);
  ::setenv("RANK", "2", 1);
  EXPECT_THROW(distributed_env_from_environment(), Error);
  ::setenv("RANK", "x", 1);
  EXPECT_THROW(distributed_env_from_environment(), Error);
  ::setenv("RANK", "1", 1);
  ::setenv("MASTER_PORT", "1234", 1);
  const DistributedEnv env = distributed_env_from_environment();
  EXPECT_EQ(env.rank, 1);
  EXPECT_EQ(env.world_size, 2);
  EXPECT_EQ(env.master_port, 1234);
  ::unsetenv("WORLD_SIZE");
  ::unsetenv("RANK");
  ::unsetenv("MASTER_PORT");
  EXPECT_EQ(distributed_env_from_environment().world_size, 1);
}

TEST(Distributed, TwoRanksMatchOneProcessWithTheSameGlobalBatch) {
  test::TempDir dir;
  const std::string bin = shell_quote(test::fashionseg_binary().string());
  ASSERT_EQ(test::run_fashionseg("synth --count 8 --width 64 --height 96 -o " +
                                 shell_quote((dir / "raw").string()))
                .exit_code,
            0);
  ASSERT_EQ(test::run_fashionseg("prepare --imaterialist " + shell_quote((dir / "raw").string()) +
                                 " --val-fraction 0 -o " + shell_quote((dir / "data").string()))
                .exit_code,
            0);
  // No BatchNorm (per-rank batch statistics would differ from the global batch's), no
  // dropout, no random augmentation, a crop equal to the photo: the gradient of the global
  // batch is then exactly the mean of the ranks' gradients (in fp32: bf16 would round a
  // rank's half batch differently from the global batch).
  std::ofstream(dir / "ddp.yaml")
      << "model:\n  type: unet\n  base_width: 4\n  batch_norm: false\n  dropout: 0\n"
         "data:\n  crop_width: 64\n  crop_height: 96\n  scale_min: 1\n  scale_max: 1\n"
         "  flip: 0\n  brightness: 0\n  contrast: 0\n  saturation: 0\n  workers: 1\n"
         "optimizer:\n  type: sgd\n  lr: 0.05\n"
         "train:\n  epochs: 2\n  val_every: 0\n  seed: 5\n  precision: fp32\n";
  const std::string common = "--threads 1 train " + shell_quote((dir / "ddp.yaml").string()) +
                             " --data " + shell_quote((dir / "data").string());
  const auto single = test::run_command(bin + " " + common + " --set data.batch_size=4 -o " +
                                        shell_quote((dir / "single").string()));
  ASSERT_EQ(single.exit_code, 0) << single.output;

  // The same single process with only a rank's share of the batch: the all-reduce must matter.
  const auto half = test::run_command(bin + " " + common + " --set data.batch_size=2 -o " +
                                      shell_quote((dir / "half").string()));
  ASSERT_EQ(half.exit_code, 0) << half.output;

  const std::string port = std::to_string(29600 + ::getpid() % 300);
  const std::string env = "WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + port;
  const std::string rank_command = bin + " " + common + " --set data.batch_size=2 -o ";
  // Rank 1 is given its own output directory: only rank 0 may write anything.
  const auto ddp = test::run_command(
      "(" + env + " RANK=1 timeout 300 " + rank_command + shell_quote((dir / "rank1").string()) +
      " > " + shell_quote((dir / "rank1.log").string()) + " 2>&1 &) ; " + env +
      " RANK=0 timeout 300 " + rank_command + shell_quote((dir / "ddp").string()) +
      "; status=$?; wait; exit $status");
  ASSERT_EQ(ddp.exit_code, 0) << ddp.output;
  EXPECT_FALSE(fs::exists(dir / "rank1/last.fsm"));
  EXPECT_FALSE(fs::exists(dir / "rank1/config.yaml"));

  auto max_difference = [](const Checkpoint& a, const Checkpoint& b) {
    EXPECT_EQ(a.weights.size(), b.weights.size());
    double difference = 0;
    for (const auto& item : a.weights) {
      difference =
          std::max(difference, (item.value() - b.weights[item.key()]).abs().max().item<double>());
    }
    return difference;
  };
  const Checkpoint one = load_checkpoint(dir / "single/last.fsm");
  const Checkpoint two = load_checkpoint(dir / "ddp/last.fsm");
  const Checkpoint alone = load_checkpoint(dir / "half/last.fsm");
  EXPECT_LT(max_difference(one, two), 1e-5);
  EXPECT_GT(max_difference(alone, two), 1e-4);
}

}  // namespace
}  // namespace fashionseg
