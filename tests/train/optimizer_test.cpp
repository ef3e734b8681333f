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

/// Parameters like a model's: conv weights 3x3 and 1x1 (channels-last or not: a channels-last
/// 1x1 weight gets a gradient with other strides in its size-1 dimensions), a bias, a matrix.
std::vector<torch::Tensor> make_parameters(bool channels_last) {
  torch::manual_seed(11);
  torch::Tensor conv = torch::randn({16, 8, 3, 3});
  torch::Tensor pointwise = torch::randn({24, 16, 1, 1});
  if (channels_last) {
    conv = conv.contiguous(torch::MemoryFormat::ChannelsLast);
    pointwise = pointwise.contiguous(torch::MemoryFormat::ChannelsLast);
  }
  return {conv.requires_grad_(), pointwise.requires_grad_(), torch::randn({16}).requires_grad_(),
          torch::randn({300, 70}).requires_grad_()};
}

std::vector<torch::Tensor> copies(const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> out;
  for (const auto& p : parameters) out.push_back(p.detach().clone().requires_grad_());
  return out;
}

/// Runs `steps` steps with gradients that depend on the step and the parameter; returns
/// how many of them took the one-pass update.
int run(torch::optim::Optimizer& optimizer, std::vector<torch::Tensor>& parameters, int steps) {
  int one_pass = 0;
  for (int step = 0; step < steps; ++step) {
    optimizer.zero_grad();
    torch::Tensor loss = torch::zeros({});
    for (size_t i = 0; i < parameters.size(); ++i) {
      loss = loss + (parameters[i] * parameters[i]).sum() * (0.5 + 0.1 * static_cast<double>(i)) +
             parameters[i].sin().sum() * static_cast<double>(step + 1);
    }
    loss.backward();
    // As oneDNN's backward pass of an NHWC convolution gives it: the [24, 16, 1, 1] weight's
    // gradient with NHWC strides (16, 1, 16, 16) while the weight keeps the default ones
    // (16, 1, 1, 1), which count as channels-last too: other strides, but only in the size-1
    // dimensions, so the same memory order.
    const torch::Tensor grad = parameters[1].grad();
    parameters[1].mutable_grad() =
        torch::empty(grad.sizes(), torch::MemoryFormat::ChannelsLast).copy_(grad);
    EXPECT_NE(parameters[1].grad().strides(), parameters[1].strides());
    one_pass += takes_one_pass_step(optimizer) ? 1 : 0;
    optimizer.step();
  }
  return one_pass;
}

/// make_optimizer's AdamW settings.
OptimizerConfig adamw(double lr, double decay, double beta1 = 0.9, double beta2 = 0.999) {
  OptimizerConfig config;
  config.type = "adamw";
  config.lr = lr;
  config.beta1 = beta1;
  config.beta2 = beta2;
  config.weight_decay = decay;
  return config;
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
      const std::string what =
          std::string(channels_last ? "NHWC" : "NCHW") + ", decay " + std::to_string(decay);
      std::vector<torch::Tensor> ours = make_parameters(channels_last);
      std::vector<torch::Tensor> theirs = copies(ours);
      auto optimizer = make_optimizer(adamw(0.01, decay, 0.8, 0.99), ours);
      torch::optim::AdamW reference(
          theirs, torch::optim::AdamWOptions(0.01).betas({0.8, 0.99}).weight_decay(decay));
      EXPECT_EQ(run(*optimizer, ours, 6), 6) << what << ": fell back to LibTorch's step";
      EXPECT_EQ(run(reference, theirs, 6), 0);
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
  auto optimizer = make_optimizer(adamw(0.02, 1e-4), ours);
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
  auto optimizer = make_optimizer(adamw(0.01, 0.0), ours);
  static_cast<torch::optim::AdamWOptions&>(optimizer->param_groups()[0].options()).amsgrad(true);
  torch::optim::AdamW reference(theirs,
                                torch::optim::AdamWOptions(0.01).weight_decay(0.0).amsgrad(true));
  EXPECT_EQ(run(*optimizer, ours, 4), 0);
  run(reference, theirs, 4);
  for (size_t i = 0; i < ours.size(); ++i) EXPECT_TRUE(torch::equal(ours[i], theirs[i])) << i;
}

}  // namespace
}  // namespace fashionseg
