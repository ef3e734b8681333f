#pragma once
/// `fashionseg train` as a library call: trains a registered model on a prepared dataset as
/// an experiment config describes, with validation, best-by-mIoU and periodic checkpoints,
/// exact resumption, and data parallel training over c10d when started with WORLD_SIZE > 1.
///
/// A run directory (config.train.output) holds:
///   config.yaml   the resolved configuration
///   last.fsm      the latest checkpoint, with the whole training state (resume from it)
///   best.fsm      the checkpoint with the best validation mIoU
///   log.jsonl     one JSON object per epoch: losses, learning rate, speed, validation metrics
///   best_metrics.json  the full validation metrics of best.fsm (per-class IoU, ...)

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>

#include "fashionseg/core/progress.h"
#include "fashionseg/data/train_config.h"

namespace fashionseg {

/// How to run the training (beyond the experiment config).
struct TrainerOptions {
  /// Continue from <output>/last.fsm: model, optimizer, schedule position, epoch, batch,
  /// RNG and best score are restored, so the run continues as if never stopped.
  bool resume = false;
  /// Set (e.g. by a SIGINT/SIGTERM handler) to stop after the current batch; the trainer then
  /// writes last.fsm and returns with stop_reason "interrupted".
  const std::atomic<bool>* stop_requested = nullptr;
  /// Receives one phase per epoch (batches) and per validation.
  Progress* progress = nullptr;
};

/// How a training run ended.
struct TrainSummary {
  int64_t epochs_completed = 0;
  int64_t steps = 0;           ///< optimizer steps taken in total
  double best_miou = -1;       ///< best validation mIoU (-1 = never validated)
  double last_train_loss = 0;  ///< mean loss of the last epoch
  std::string stop_reason;     ///< "completed", "max_iters", "early_stop", "interrupted"
  std::filesystem::path run_dir;
};

/// Trains as described. Throws Error for bad configs or data, and Error(kInput) when the loss
/// becomes NaN/Inf (the last good last.fsm is kept, never overwritten with broken weights).
TrainSummary train_model(const TrainConfig& config, const TrainerOptions& options = {});

}  // namespace fashionseg
