// make_optimizer's AdamW against its reference, LibTorch's torch::optim::AdamW: the same
// parameters after several steps (from the same start, with the same gradients), in both memory
// layouts, with and without weight decay; state saved by one loads into the other; amsgrad
// falls back to LibTorch's own step.
#include "fashionseg/torch/optimizer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace fashionseg {
namespace {

/// Parameters like a model's: a conv weight (channels-last or not), a bias, a matrix.
std::vector<torch::Tensor> make_parameters(bool channels_last) {
  torch::manual_seed(11);
  torch::Tensor conv = torch::randn({16, 8, 3, 3});
  if (channels_last) conv = conv.contiguous(torch::MemoryFormat::ChannelsLast);
  return {conv.requires_grad_(), torch::randn({16}).requires_grad_(),
          torch::randn({300, 70}).requires_grad_()};
}

std::vector<torch::Tensor> copies(const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> out;
  for (const auto& p : parameters) out.push_back(p.detach().clone().requires_grad_());
  return out;
}

/// Runs `steps` steps with gradients that depend on the step and the parameter.
void run(torch::optim::Optimizer& optimizer, std::vector<torch::Tensor>& parameters, int steps) {
  for (int step = 0; step < steps; ++step) {
    optimizer.zero_grad();
    torch::Tensor loss = torch::zeros({});
    for (size_t i = 0; i < parameters.size(); ++i) {
      loss = loss + (parameters[i] * parameters[i]).sum() * (0.5 + 0.1 * static_cast<double>(i)) +
             parameters[i].sin().sum() * static_cast<double>(step + 1);
    }
    loss.backward();
    optimizer.step();
  }
}

void expect_same(const std::vector<torch::Tensor>& ours, const std::vector<torch::Tensor>& theirs,
                 const std::string& what) {
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_TRUE(torch::allclose(ours[i], theirs[i], 1e-6, 1e-7))
        << what << ", parameter " << i << ": largest difference "
        << (ours[i] - theirs[i]).abs().max().item<double>();
    EXPECT_EQ(ours[i].strides(), theirs[i].strides()) << what;
  }
}

TEST(AdamW, EqualsLibTorchsAdamWStepForStep) {
  for (const bool channels_last : {false, true}) {
    for (const double decay : {0.0, 0.05}) {
      const std::string what = std::string(channels_last ? "NHWC" : "NCHW") + ", decay " +
                               std::to_string(decay);
      std::vector<torch::Tensor> ours = make_parameters(channels_last);
      std::vector<torch::Tensor> theirs = copies(ours);
      OptimizerConfig config;
      config.type = "adamw";
      config.lr = 0.01;
      config.beta1 = 0.8;
      config.beta2 = 0.99;
      config.weight_decay = decay;
      auto optimizer = make_optimizer(config, ours);
      torch::optim::AdamW reference(
          theirs, torch::optim::AdamWOptions(0.01).betas({0.8, 0.99}).weight_decay(decay));
      run(*optimizer, ours, 6);
      run(reference, theirs, 6);
      expect_same(ours, theirs, what);
      // The parameters moved: a step that did nothing would pass the comparison above only if
      // LibTorch's did nothing too.
      EXPECT_FALSE(torch::allclose(ours[2], make_parameters(channels_last)[2])) << what;
    }
  }
}

TEST(AdamW, StateMovesBetweenItAndLibTorchsAdamW) {
  std::vector<torch::Tensor> ours = make_parameters(false);
  std::vector<torch::Tensor> theirs = copies(ours);
  OptimizerConfig config;
  config.type = "adamw";
  config.lr = 0.02;
  auto optimizer = make_optimizer(config, ours);
  run(*optimizer, ours, 3);
  // LibTorch's AdamW continues from our saved state (and parameters) as if it had run all along.
  for (size_t i = 0; i < ours.size(); ++i) theirs[i].detach().copy_(ours[i].detach());
  torch::optim::AdamW reference(theirs, torch::optim::AdamWOptions(0.02).weight_decay(1e-4));
  load_optimizer_state(reference, save_optimizer_state(*optimizer));
  run(*optimizer, ours, 2);
  run(reference, theirs, 2);
  expect_same(ours, theirs, "after a state hand-over");
}

TEST(AdamW, AmsgradFallsBackToLibTorchsStep) {
  std::vector<torch::Tensor> ours = make_parameters(false);
  std::vector<torch::Tensor> theirs = copies(ours);
  OptimizerConfig config;
  config.type = "adamw";
  config.lr = 0.01;
  config.weight_decay = 0.0;
  auto optimizer = make_optimizer(config, ours);
  static_cast<torch::optim::AdamWOptions&>(optimizer->param_groups()[0].options()).amsgrad(true);
  torch::optim::AdamW reference(
      theirs, torch::optim::AdamWOptions(0.01).weight_decay(0.0).amsgrad(true));
  run(*optimizer, ours, 4);
  run(reference, theirs, 4);
  for (size_t i = 0; i < ours.size(); ++i) EXPECT_TRUE(torch::equal(ours[i], theirs[i])) << i;
}

}  // namespace
}  // namespace fashionseg
