// atrous_resnet50: the original project's DeepLab-v1 style model. ResNet-50 with a dilated
// last stage (output stride 16), one 1x1 convolution to logits, bilinear upsampling. No ASPP,
// no aux head. Keys: backbone.* as torchvision's, classifier.0.weight / classifier.0.bias.
#include "models/factories.h"
#include "models/layers.h"
#include "models/simple_segmentation.h"

namespace fashionseg::models {

namespace {
constexpr const char* kName = "atrous_resnet50";
constexpr int64_t kOutputStride = 16;
}  // namespace

ModelPtr make_atrous_resnet50(const ModelOptions& options) {
  check_common_options(options, kName);
  torch::nn::Sequential classifier(
      conv2d(ResNet50BackboneImpl::kLayer4Channels, options.num_classes, 1));
  return std::make_shared<SimpleSegmentationModel<ResNet50Backbone>>(
      kName, ResNet50Backbone(kOutputStride), classifier, torch::nn::Sequential(nullptr));
}

}  // namespace fashionseg::models
