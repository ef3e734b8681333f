// Output strides of the dilated backbones, and the output_stride option of the ResNet models.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fashionseg/torch/model_registry.h"
#include "models/backbones/mobilenet_v3.h"
#include "models/backbones/resnet.h"

namespace fashionseg {
namespace {

std::vector<int64_t> spatial(const torch::Tensor& t) { return {t.size(2), t.size(3)}; }

TEST(ResNet50Backbone, OutputStrideSetsTheResolutionOfLayer3AndLayer4) {
  torch::NoGradGuard no_grad;
  const auto images = torch::randn({1, 3, 64, 96});
  // torchvision replace_stride_with_dilation: OS8 = [F, T, T], OS16 = [F, F, T], OS32 = none
  const std::vector<std::tuple<int64_t, std::vector<int64_t>, std::vector<int64_t>>> cases = {
      {8, {8, 12}, {8, 12}}, {16, {4, 6}, {4, 6}}, {32, {4, 6}, {2, 3}}};
  for (const auto& [stride, layer3, layer4] : cases) {
    models::ResNet50Backbone backbone(stride);
    backbone->eval();
    const auto features = backbone->forward(images);
    EXPECT_EQ(features.layer3.size(1), 1024);
    EXPECT_EQ(features.layer4.size(1), 2048);
    EXPECT_EQ(spatial(features.layer3), layer3) << "output stride " << stride;
    EXPECT_EQ(spatial(features.layer4), layer4) << "output stride " << stride;
  }
}

TEST(MobileNetV3Large, LowFeaturesAtStride8HighAtStride16) {
  torch::NoGradGuard no_grad;
  models::MobileNetV3LargeFeatures features;
  features->eval();
  const auto out = features->forward(torch::randn({1, 3, 64, 96}));
  EXPECT_EQ(out.low.sizes(), (std::vector<int64_t>{1, 40, 8, 12}));
  EXPECT_EQ(out.high.sizes(), (std::vector<int64_t>{1, 960, 4, 6}));
}

TEST(ResNetModels, OutputStride16KeepsParametersAndInputResolution) {
  for (const char* name : {"fcn_resnet50", "deeplabv3_resnet50"}) {
    ModelOptions os8;
    os8.num_classes = 3;
    ModelOptions os16 = os8;
    os16.output_stride = 16;
    auto model = create_model(name, os16);
    EXPECT_EQ(count_parameters(*model), count_parameters(*create_model(name, os8))) << name;
    model->eval();
    torch::NoGradGuard no_grad;
    EXPECT_EQ(model->forward(torch::randn({2, 3, 33, 21})).sizes(),
              (std::vector<int64_t>{2, 3, 33, 21}))
        << name;
  }
}

}  // namespace
}  // namespace fashionseg
