// deeplabv3_resnet50: torchvision's DeepLabV3 (ResNet-50, DeepLabHead with ASPP rates 12, 24,
// 36 on layer4 at either output stride, optional FCNHead on layer3).
#include "fashionseg/error.h"
#include "models/factories.h"
#include "models/heads/aspp.h"
#include "models/heads/fcn_head.h"
#include "models/layers.h"
#include "models/resnet_segmentation.h"

namespace fashionseg::models {

namespace {
constexpr const char* kName = "deeplabv3_resnet50";
}

ModelPtr make_deeplabv3_resnet50(const ModelOptions& options) {
  check_common_options(options, kName);
  if (options.output_stride != 8 && options.output_stride != 16) {
    throw_config_error(std::string(kName) + ": output_stride must be 8 or 16, got " +
                       std::to_string(options.output_stride));
  }
  auto aux = options.aux_head
                 ? make_fcn_head(ResNet50BackboneImpl::kLayer3Channels, options.num_classes)
                 : torch::nn::Sequential(nullptr);
  auto head = make_deeplab_head(ResNet50BackboneImpl::kLayer4Channels, options.num_classes,
                                scaled_channels(256, options.width_multiplier));
  return std::make_shared<ResNetSegmentationModel>(kName, options.output_stride, head, aux);
}

}  // namespace fashionseg::models
