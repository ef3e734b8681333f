#include "fashionseg/torch/optimizer.h"

#include <torch/torch.h>

#include <ATen/Parallel.h>

#include <cmath>
#include <sstream>
#include <string>

#include "fashionseg/core/error.h"
#include "train/adamw_kernel.h"

namespace fashionseg {
namespace {

/// Whether dense tensors `a` and `b` keep their elements in the same memory order: equal sizes
/// and equal strides wherever a size exceeds 1 (the stride of a size-1 dimension is arbitrary:
/// a 1x1 convolution weight and the NHWC-strided gradient oneDNN gives it share their order).
bool same_memory_order(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.sizes() != b.sizes() || !a.is_non_overlapping_and_dense() ||
      !b.is_non_overlapping_and_dense()) {
    return false;
  }
  for (int64_t d = 0; d < a.dim(); ++d) {
    if (a.size(d) > 1 && a.stride(d) != b.stride(d)) return false;
  }
  return true;
}

/// LibTorch's AdamW (the same options, state, update and saved state, so checkpoints move
/// freely between the two), whose step updates each parameter in one pass over its memory:
/// LibTorch's step makes about ten passes per parameter (a mul_, add_, addcmul_, sqrt, div,
/// add_ and addcdiv_ each read and write whole tensors), 76 ms of a deeplabv3_resnet50
/// training step on this machine. Falls back to LibTorch's step for what the one pass does not
/// cover: amsgrad, non-float or non-CPU parameters, and tensors whose layouts differ.
class OnePassAdamW : public torch::optim::AdamW {
 public:
  using AdamW::AdamW;

  /// Whether every parameter with a gradient can take the one-pass update: float on the CPU,
  /// dense, and its gradient (and moments, once they exist) in the parameter's memory order.
  bool one_pass_applies() const {
    for (const auto& group : param_groups_) {
      const auto& options = static_cast<const torch::optim::AdamWOptions&>(group.options());
      if (options.amsgrad()) return false;
      for (const auto& p : group.params()) {
        const torch::Tensor& grad = p.grad();
        if (!grad.defined()) continue;
        if (p.scalar_type() != torch::kFloat || grad.scalar_type() != torch::kFloat ||
            !p.device().is_cpu() || !grad.device().is_cpu() || grad.is_sparse() ||
            !same_memory_order(grad, p)) {
          return false;
        }
        const auto found = state_.find(c10::guts::to_string(p.unsafeGetTensorImpl()));
        if (found == state_.end()) continue;
        const auto& state = static_cast<const torch::optim::AdamWParamState&>(*found->second);
        if (!same_memory_order(state.exp_avg(), p) || !same_memory_order(state.exp_avg_sq(), p) ||
            state.exp_avg().scalar_type() != torch::kFloat ||
            state.exp_avg_sq().scalar_type() != torch::kFloat) {
          return false;
        }
      }
    }
    return true;
  }

  torch::Tensor step(LossClosure closure = nullptr) override {
    if (!one_pass_applies()) return AdamW::step(std::move(closure));
    torch::NoGradGuard no_grad;
    torch::Tensor loss;
    if (closure != nullptr) {
      at::AutoGradMode enable_grad(true);
      loss = closure();
    }
    for (auto& group : param_groups_) {
      const auto& options = static_cast<const torch::optim::AdamWOptions&>(group.options());
      for (auto& p : group.params()) {
        if (p.grad().defined()) update(p, options);
      }
    }
    return loss;
  }

 private:
  void update(torch::Tensor& p, const torch::optim::AdamWOptions& options) {
    const std::string key = c10::guts::to_string(p.unsafeGetTensorImpl());
    if (state_.find(key) == state_.end()) {
      auto state = std::make_unique<torch::optim::AdamWParamState>();
      state->step(0);
      state->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      state->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      state_[key] = std::move(state);
    }
    auto& state = static_cast<torch::optim::AdamWParamState&>(*state_[key]);
    state.step(state.step() + 1);
    const double beta1 = std::get<0>(options.betas());
    const double beta2 = std::get<1>(options.betas());
    const double bias_correction1 = 1 - std::pow(beta1, state.step());
    const double bias_correction2 = 1 - std::pow(beta2, state.step());
    // The constants as LibTorch's float kernels see them (double scalars cast to float).
    AdamWStepConstants c;
    c.decay = static_cast<float>(1 - options.lr() * options.weight_decay());
    c.beta1 = static_cast<float>(beta1);
    c.one_minus_beta1 = static_cast<float>(1 - beta1);
    c.beta2 = static_cast<float>(beta2);
    c.one_minus_beta2 = static_cast<float>(1 - beta2);
    c.root_bias_correction2 = static_cast<float>(std::sqrt(bias_correction2));
    c.eps = static_cast<float>(options.eps());
    c.step_size = static_cast<float>(-options.lr() / bias_correction1);
    float* weight = p.data_ptr<float>();
    const float* grad = p.grad().data_ptr<float>();
    float* m = state.exp_avg().data_ptr<float>();
    float* v = state.exp_avg_sq().data_ptr<float>();
    // The same memory order (same_memory_order): element i is the same element in all four.
    at::parallel_for(0, p.numel(), 16384, [&](int64_t begin, int64_t end) {
      adamw_update(weight + begin, grad + begin, m + begin, v + begin, end - begin, c);
    });
  }
};

}  // namespace

bool takes_one_pass_step(const torch::optim::Optimizer& optimizer) {
  const auto* adamw = dynamic_cast<const OnePassAdamW*>(&optimizer);
  return adamw != nullptr && adamw->one_pass_applies();
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(
    const OptimizerConfig& config, const std::vector<torch::Tensor>& parameters) {
  if (config.type == "sgd") {
    return std::make_unique<torch::optim::SGD>(parameters, torch::optim::SGDOptions(config.lr)
                                                               .momentum(config.momentum)
                                                               .nesterov(config.nesterov)
                                                               .weight_decay(config.weight_decay));
  }
  if (config.type == "adam") {
    return std::make_unique<torch::optim::Adam>(parameters, torch::optim::AdamOptions(config.lr)
                                                                .betas({config.beta1, config.beta2})
                                                                .weight_decay(config.weight_decay));
  }
  if (config.type == "adamw") {
    return std::make_unique<OnePassAdamW>(parameters, torch::optim::AdamWOptions(config.lr)
                                                          .betas({config.beta1, config.beta2})
                                                          .weight_decay(config.weight_decay));
  }
  throw_config_error("unknown optimizer '" + config.type + "'", "valid: sgd, adam, adamw");
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

std::string save_optimizer_state(torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  std::ostringstream stream;
  archive.save_to(stream);
  return stream.str();
}

void load_optimizer_state(torch::optim::Optimizer& optimizer, const std::string& bytes) {
  std::istringstream stream(bytes);
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(stream);
    optimizer.load(archive);
  } catch (const c10::Error& e) {
    throw_input_error(
        std::string("cannot restore the optimizer state: ") + e.what_without_backtrace(), {},
        "was the checkpoint written with another optimizer?");
  }
}

}  // namespace fashionseg
