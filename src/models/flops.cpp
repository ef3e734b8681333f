// Multiply-add counting through LibTorch's RecordFunction observers: every dispatched operator
// reports its name and inputs, so convolutions and matrix products are counted from their
// actual shapes wherever they sit in the module tree (no per-module formulas to keep in sync).
#include "fashionseg/torch/flops.h"

#include <ATen/record_function.h>
#include <torch/torch.h>

#include <cstring>

#include "fashionseg/core/error.h"

namespace fashionseg {
namespace {

thread_local MacCount* active_count = nullptr;

// aten::convolution(input, weight, bias, stride, padding, dilation, transposed,
//                   output_padding, groups)
int64_t convolution_macs(c10::ArrayRef<const c10::IValue> inputs) {
  if (inputs.size() < 9 || !inputs[0].isTensor() || !inputs[1].isTensor()) return 0;
  const at::Tensor& input = inputs[0].toTensor();
  const at::Tensor& weight = inputs[1].toTensor();
  const int64_t per_output = weight.numel() / weight.size(0);  // (C/groups) * kernel elements
  if (inputs[6].toBool()) {
    // Transposed: weight [C_in, C_out/groups, k...]; every input element feeds C_out/groups*k.
    return input.numel() * per_output;
  }
  // Regular: weight [C_out, C_in/groups, k...]; every output element costs C_in/groups*k.
  const auto stride = inputs[3].toIntVector();
  const auto padding = inputs[4].toIntVector();
  const auto dilation = inputs[5].toIntVector();
  const int64_t spatial = weight.dim() - 2;
  const bool batched = input.dim() == spatial + 2;
  int64_t outputs = (batched ? input.size(0) : 1) * weight.size(0);
  for (int64_t d = 0; d < spatial; ++d) {
    const int64_t in = input.size(input.dim() - spatial + d);
    const auto pick = [&](const std::vector<int64_t>& v) { return v.size() == 1 ? v[0] : v[d]; };
    const int64_t out =
        (in + 2 * pick(padding) - pick(dilation) * (weight.size(2 + d) - 1) - 1) / pick(stride) + 1;
    outputs *= std::max<int64_t>(out, 0);
  }
  return outputs * per_output;
}

// mm(a, b), addmm(c, a, b), bmm(a, b), baddbmm(c, a, b): a [.., n, k] @ b [.., k, m].
int64_t matmul_macs(c10::ArrayRef<const c10::IValue> inputs, size_t first) {
  if (inputs.size() < first + 2 || !inputs[first].isTensor() || !inputs[first + 1].isTensor()) {
    return 0;
  }
  const at::Tensor& a = inputs[first].toTensor();
  const at::Tensor& b = inputs[first + 1].toTensor();
  return a.numel() * b.size(-1);
}

std::unique_ptr<at::ObserverContext> on_operator_start(const at::RecordFunction& fn) {
  MacCount* count = active_count;
  if (!count) return nullptr;
  const char* name = fn.name();
  if (std::strcmp(name, "aten::convolution") == 0) {
    count->convolution += convolution_macs(fn.inputs());
  } else if (std::strcmp(name, "aten::mm") == 0 || std::strcmp(name, "aten::bmm") == 0) {
    count->matmul += matmul_macs(fn.inputs(), 0);
  } else if (std::strcmp(name, "aten::addmm") == 0 || std::strcmp(name, "aten::baddbmm") == 0) {
    count->matmul += matmul_macs(fn.inputs(), 1);
  }
  return nullptr;
}

}  // namespace

bool counting_macs() { return active_count != nullptr; }

MacCount count_macs(const std::function<void()>& forward) {
  if (active_count) throw Error(ErrorKind::kInternal, "count_macs calls must not nest");
  MacCount count;
  active_count = &count;
  const at::CallbackHandle handle =
      at::addThreadLocalCallback(at::RecordFunctionCallback(on_operator_start)
                                     .needsInputs(true)
                                     .scopes({at::RecordScope::FUNCTION}));
  try {
    forward();
  } catch (...) {
    at::removeCallback(handle);
    active_count = nullptr;
    throw;
  }
  at::removeCallback(handle);
  active_count = nullptr;
  return count;
}

MacCount count_model_macs(SegmentationModel& model, int64_t height, int64_t width) {
  if (height < 1 || width < 1) {
    throw_config_error("input size must be at least 1x1, got " + std::to_string(height) + "x" +
                       std::to_string(width));
  }
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor input = torch::zeros({1, 3, height, width});
  MacCount count;
  try {
    count = count_macs([&] { model.forward_all(input); });
  } catch (...) {
    model.train(was_training);
    throw;
  }
  model.train(was_training);
  return count;
}

}  // namespace fashionseg
