#pragma once
// The residual add and ReLU that end a ResNet bottleneck, in one pass over bf16 values
// (LibTorch 1.13 makes two, and has no bf16 add-ReLU; oneDNN's fused sum runs slower than this
// pass: bench/RESULTS.md).

#include <cstdint>

namespace fashionseg {

/// accumulator[i] = relu(accumulator[i] + addend[i]) for i < count, over bf16 values given as
/// their bits: the sum of the two bf16 values in float, rounded to bf16 once (what LibTorch's
/// bf16 add gives), then ReLU (NaN stays NaN, as torch.relu). The ranges must not overlap.
void add_relu_bf16(uint16_t* accumulator, const uint16_t* addend, int64_t count);

}  // namespace fashionseg
