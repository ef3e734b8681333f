// Every registered model, through one parameterised test: logits at input resolution for odd
// sizes, train and eval mode, batch 2, gradients reaching every parameter, aux shapes, and
// equal logits after folding batch norms into convolutions.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "fashionseg/torch/model_registry.h"
#include "models/foldable_batch_norm.h"

namespace fashionseg {
namespace {

// Reduced options keep CPU time low where a model allows it; the architectures stay the
// same (the full-size counts are checked in parameter_count_test.cpp).
ModelOptions quick_options(const std::string& name) {
  ModelOptions options;
  options.num_classes = 5;
  options.aux_head = true;  // read only by the models that have one
  if (name == "segnet_vgg16") options.width_multiplier = 0.125;
  if (name == "unet") options.base_width = 8;
  if (name == "deeplabv3_resnet50" || name == "deeplabv3_mobilenet_v3_large") {
    options.width_multiplier = 0.125;
  }
  return options;
}

bool has_aux_head(const std::string& name) {
  return name == "fcn_resnet50" || name == "deeplabv3_resnet50" ||
         name == "deeplabv3_mobilenet_v3_large";
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& info : list_models()) names.push_back(info.name);
  return names;
}

void check_train_mode(const std::string& name) {
  torch::manual_seed(7);
  const ModelOptions options = quick_options(name);
  ModelPtr model = create_model(name, options);
  model->train();

  const auto images = torch::randn({2, 3, 37, 45});
  const ModelOutput output = model->forward_all(images);
  ASSERT_TRUE(output.out.defined());
  EXPECT_EQ(output.out.sizes(), (std::vector<int64_t>{2, options.num_classes, 37, 45}));
  EXPECT_TRUE(torch::isfinite(output.out).all().item<bool>());
  EXPECT_EQ(output.aux.defined(), has_aux_head(name));
  if (output.aux.defined()) {
    EXPECT_EQ(output.aux.sizes(), (std::vector<int64_t>{2, options.num_classes, 37, 45}));
  }

  // A random weighting of the logits: a plain sum would give zero gradient to everything
  // before a train-mode BatchNorm followed only by linear layers.
  auto loss = (output.out * torch::randn_like(output.out)).sum();
  if (output.aux.defined()) loss = loss + (output.aux * torch::randn_like(output.aux)).sum();
  loss.backward();

  int64_t checked = 0;
  for (const auto& item : model->named_parameters()) {
    const auto& parameter = item.value();
    if (!parameter.requires_grad()) continue;
    const auto& grad = parameter.grad();
    ASSERT_TRUE(grad.defined()) << name << ": no gradient for " << item.key();
    EXPECT_TRUE(torch::isfinite(grad).all().item<bool>()) << name << ": " << item.key();
    EXPECT_GT(grad.abs().sum().item<double>(), 0.0) << name << ": all-zero grad " << item.key();
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

void check_eval_mode(const std::string& name) {
  torch::manual_seed(11);
  const ModelOptions options = quick_options(name);
  ModelPtr model = create_model(name, options);
  model->eval();
  torch::NoGradGuard no_grad;
  for (const auto& size : std::vector<std::pair<int64_t, int64_t>>{{29, 51}, {7, 3}}) {
    const auto images = torch::randn({2, 3, size.first, size.second});
    const ModelOutput output = model->forward_all(images);
    EXPECT_EQ(output.out.sizes(),
              (std::vector<int64_t>{2, options.num_classes, size.first, size.second}))
        << name;
    EXPECT_TRUE(torch::isfinite(output.out).all().item<bool>()) << name;
    EXPECT_TRUE(torch::equal(model->forward(images), output.out))
        << name << ": eval not deterministic";
    if (output.aux.defined()) {
      EXPECT_EQ(output.aux.sizes(),
                (std::vector<int64_t>{2, options.num_classes, size.first, size.second}));
    }
  }
}

// Folding batch norms into convolutions must not change the logits. The normalisations get
// random statistics and affine parameters first (fresh ones are the identity, which any
// folding formula preserves).
void check_batch_norm_folding(const std::string& name) {
  torch::manual_seed(13);
  const ModelOptions options = quick_options(name);
  ModelPtr model = create_model(name, options);
  int64_t batch_norms = 0;
  {
    torch::NoGradGuard no_grad;
    for (const auto& module : model->modules()) {
      if (auto* bn = module->as<models::FoldableBatchNorm2d>()) {
        bn->running_mean.uniform_(-0.5, 0.5);
        bn->running_var.uniform_(0.5, 2.0);
        bn->weight.uniform_(0.5, 1.5);
        bn->bias.uniform_(-0.5, 0.5);
        ++batch_norms;
      }
    }
  }
  model->train();
  EXPECT_THROW(fold_batch_norms(*model), std::logic_error) << name << ": folded in training";
  model->eval();
  torch::NoGradGuard no_grad;
  const auto images = torch::randn({2, 3, 29, 51});
  const ModelOutput before = model->forward_all(images);
  const int64_t folded = fold_batch_norms(*model);
  // FC-DenseNet normalises before its convolutions (pre-activation): nothing to fold. Every
  // other model's normalisations all follow a convolution.
  EXPECT_EQ(folded, name == "fc_densenet56" || name == "fc_densenet67" || name == "fc_densenet103"
                        ? 0
                        : batch_norms)
      << name;
  const ModelOutput after = model->forward_all(images);
  const double scale = before.out.abs().max().item<double>();
  EXPECT_TRUE(torch::allclose(after.out, before.out, 1e-4, 1e-4 * scale))
      << name << ": folding changed the logits by up to "
      << (after.out - before.out).abs().max().item<double>() << " (largest " << scale << ")";
  if (before.aux.defined()) {
    EXPECT_TRUE(
        torch::allclose(after.aux, before.aux, 1e-4, 1e-4 * before.aux.abs().max().item<double>()))
        << name << ": aux logits";
  }
  EXPECT_EQ(fold_batch_norms(*model), 0) << name << ": a second call folded again";
}

class EveryModel : public ::testing::TestWithParam<std::string> {};

// One test per model (each CTest process pays ~2 s to load LibTorch): train mode first, then
// eval mode on the same model.
TEST_P(EveryModel, TrainAndEvalShapesGradientsReachEveryParameter) {
  const std::string name = GetParam();
  SCOPED_TRACE(name);
  check_train_mode(name);
  check_eval_mode(name);
  check_batch_norm_folding(name);
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryModel, ::testing::ValuesIn(model_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace fashionseg
