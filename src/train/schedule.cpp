#include "train/schedule.h"

#include <algorithm>
#include <cmath>

namespace fashionseg {

double learning_rate_at(const ScheduleConfig& schedule, double base_lr, int64_t step,
                        int64_t total_steps, int64_t steps_per_epoch) {
  const int64_t warmup = schedule.warmup_iters;
  if (step < warmup) {
    const double alpha = static_cast<double>(step) / static_cast<double>(warmup);
    return base_lr * (schedule.warmup_factor + (1 - schedule.warmup_factor) * alpha);
  }
  const double span = static_cast<double>(std::max<int64_t>(1, total_steps - warmup));
  const double t = std::clamp(static_cast<double>(step - warmup) / span, 0.0, 1.0);
  if (schedule.type == "poly") {
    return schedule.min_lr + (base_lr - schedule.min_lr) * std::pow(1 - t, schedule.power);
  }
  if (schedule.type == "cosine") {
    return schedule.min_lr + (base_lr - schedule.min_lr) * (1 + std::cos(M_PI * t)) / 2;
  }
  if (schedule.type == "step") {
    const int64_t epoch = step / std::max<int64_t>(1, steps_per_epoch);
    return base_lr * std::pow(schedule.gamma, static_cast<double>(epoch / schedule.step_epochs));
  }
  return base_lr;  // constant
}

}  // namespace fashionseg
