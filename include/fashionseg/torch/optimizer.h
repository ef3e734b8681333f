#pragma once
// Optimizers built from the experiment config, and setting their learning rate.

#include <torch/optim.h>

#include <memory>

#include "fashionseg/data/train_config.h"

namespace fashionseg {

/// SGD (momentum, Nesterov), Adam or AdamW over `parameters`, with weight decay. AdamW is
/// LibTorch's (same update, same saved state) with a step that updates each float CPU
/// parameter in one pass over its memory instead of about ten.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(
    const OptimizerConfig& config, const std::vector<torch::Tensor>& parameters);

/// Whether `optimizer` (from make_optimizer) will update every parameter in one pass on its next
/// step: an AdamW whose parameters with gradients are float, on the CPU, dense and in the same
/// memory order as their gradients and moments. False for other optimizers and for AdamW's
/// fallback to LibTorch's step (amsgrad, other layouts).
bool takes_one_pass_step(const torch::optim::Optimizer& optimizer);

/// Sets the learning rate of every parameter group.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

/// The optimizer's state as bytes (torch::serialize), and back.
std::string save_optimizer_state(torch::optim::Optimizer& optimizer);
void load_optimizer_state(torch::optim::Optimizer& optimizer, const std::string& bytes);

}  // namespace fashionseg
