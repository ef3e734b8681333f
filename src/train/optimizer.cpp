#include "train/optimizer.h"

#include <torch/torch.h>

#include <sstream>

#include "fashionseg/core/error.h"

namespace fashionseg {

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
    return std::make_unique<torch::optim::AdamW>(parameters,
                                                 torch::optim::AdamWOptions(config.lr)
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
