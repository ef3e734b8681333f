#pragma once
// AdamW's update of one dense run of float parameters, in one pass over their memory.

#include <cstdint>

namespace fashionseg {

/// The per-step constants of AdamW's update, as LibTorch's float kernels see them.
struct AdamWStepConstants {
  float decay = 1.0f;  ///< 1 - lr * weight_decay (1: none)
  float beta1 = 0.9f, one_minus_beta1 = 0.1f;
  float beta2 = 0.999f, one_minus_beta2 = 0.001f;
  float root_bias_correction2 = 1.0f;  ///< sqrt(1 - beta2^step)
  float eps = 1e-8f;
  float step_size = 0.0f;  ///< -lr / (1 - beta1^step)
};

/// For i in [0, count): w *= decay; m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2;
/// w += step_size * m / (sqrt(v) / root_bias_correction2 + eps): torch::optim::AdamW's update
/// (amsgrad off), element by element, in the order of its operations.
void adamw_update(float* weight, const float* grad, float* exp_avg, float* exp_avg_sq,
                  int64_t count, const AdamWStepConstants& c);

}  // namespace fashionseg
