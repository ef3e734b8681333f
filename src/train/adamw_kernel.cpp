// Built with -fno-math-errno (CMakeLists.txt) so that std::sqrt is one vector instruction, and,
// on x86-64, cloned for AVX-512, AVX2 and the baseline with the clone picked at load time: the
// update is a few multiplications, a square root and a division per element, which the
// baseline's scalar code turns into the bottleneck of a memory-bound loop.
#include "train/adamw_kernel.h"

#include <cmath>

#include "tensor/vector_clones.h"

namespace fashionseg {

FASHIONSEG_VECTOR_CLONES
void adamw_update(float* weight, const float* grad, float* exp_avg, float* exp_avg_sq,
                  int64_t count, const AdamWStepConstants& c) {
  const float decay = c.decay, beta1 = c.beta1, one_minus_beta1 = c.one_minus_beta1;
  const float beta2 = c.beta2, one_minus_beta2 = c.one_minus_beta2;
  const float root_correction2 = c.root_bias_correction2, eps = c.eps, step = c.step_size;
  for (int64_t i = 0; i < count; ++i) {
    const float g = grad[i];
    const float m = exp_avg[i] * beta1 + g * one_minus_beta1;
    const float v = exp_avg_sq[i] * beta2 + g * g * one_minus_beta2;
    const float denominator = std::sqrt(v) / root_correction2 + eps;
    weight[i] = weight[i] * decay + step * m / denominator;  // addcdiv_'s order
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
  }
}

}  // namespace fashionseg
