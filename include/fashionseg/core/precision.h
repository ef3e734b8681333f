#pragma once
/// The arithmetic precision a model runs in: fp32, or bf16 autocast (convolutions and matrix
/// products in bfloat16, reductions, softmax and the rest in fp32, as torch.autocast does),
/// and `auto`, which picks bf16 only where the CPU computes bf16 natively (AVX512-BF16 or AMX)
/// and the architecture was measured to gain from it (ModelInfo::bf16_helps in model_registry.h).

#include <string>

namespace fashionseg {

/// Whether this CPU has native bf16 arithmetic (the avx512_bf16 or amx_bf16 flag of
/// /proc/cpuinfo). Read once.
bool cpu_has_native_bf16();

/// Resolves "fp32", "bf16" or "auto" for a model on a device ("cpu", "cuda", ...): true = run in
/// bf16. `bf16_helps` is the architecture's measured verdict. Throws Error(kConfig) naming
/// `what` for another value, and for bf16 on a CUDA device (this build has no CUDA autocast).
bool resolve_bf16(const std::string& precision, bool bf16_helps, const std::string& device,
                  const char* what = "precision");

}  // namespace fashionseg
