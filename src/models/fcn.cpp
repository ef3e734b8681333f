// fcn_resnet50: torchvision's FCN (ResNet-50, FCNHead on layer4, optional FCNHead on layer3).
#include "fashionseg/error.h"
#include "models/factories.h"
#include "models/heads/fcn_head.h"
#include "models/layers.h"
#include "models/resnet_segmentation.h"

namespace fashionseg::models {

namespace {
constexpr const char* kName = "fcn_resnet50";
}

ModelPtr make_fcn_resnet50(const ModelOptions& options) {
  check_common_options(options, kName);
  if (options.output_stride != 8 && options.output_stride != 16) {
    throw_config_error(std::string(kName) + ": output_stride must be 8 or 16, got " +
                       std::to_string(options.output_stride));
  }
  auto aux = options.aux_head
                 ? make_fcn_head(ResNet50BackboneImpl::kLayer3Channels, options.num_classes)
                 : torch::nn::Sequential(nullptr);
  return std::make_shared<ResNetSegmentationModel>(
      kName, options.output_stride,
      make_fcn_head(ResNet50BackboneImpl::kLayer4Channels, options.num_classes), aux);
}

}  // namespace fashionseg::models
