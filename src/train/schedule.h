#pragma once
/// Learning-rate schedules, as a pure function of the optimizer step.

#include <cstdint>

#include "fashionseg/data/train_config.h"

namespace fashionseg {

/// The learning rate at optimizer step `step` (0-based) of `total_steps`, for base rate
/// `base_lr`; `steps_per_epoch` is used by the step schedule. Linear warm-up from
/// warmup_factor * base_lr over warmup_iters steps, then:
/// poly: min_lr + (base - min_lr) * (1 - t)^power; cosine: min_lr + (base - min_lr) *
/// (1 + cos(pi t)) / 2, with t the progress after warm-up in [0, 1]; step: base * gamma^(epoch
/// / step_epochs); constant: base.
double learning_rate_at(const ScheduleConfig& schedule, double base_lr, int64_t step,
                        int64_t total_steps, int64_t steps_per_epoch);

}  // namespace fashionseg
