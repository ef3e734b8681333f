// deeplabv3_mobilenet_v3_large: torchvision's DeepLabV3 on dilated MobileNetV3-Large:
// DeepLabHead on C5 (960 channels, output stride 16), optional FCNHead on C2 (40 channels).
#include "models/factories.h"
#include "models/heads/aspp.h"
#include "models/heads/fcn_head.h"
#include "models/simple_segmentation.h"

namespace fashionseg::models {

ModelPtr make_deeplabv3_mobilenet_v3_large(const ModelOptions& options) {
  constexpr const char* kName = "deeplabv3_mobilenet_v3_large";
  check_common_options(options, kName);
  MobileNetV3LargeFeatures backbone;  // built first: a seed gives the same weights as before
  auto head = make_deeplab_head(MobileNetV3LargeFeaturesImpl::kHighChannels, options.num_classes,
                                scaled_channels(256, options.width_multiplier));
  auto aux = options.aux_head
                 ? make_fcn_head(MobileNetV3LargeFeaturesImpl::kLowChannels, options.num_classes)
                 : torch::nn::Sequential(nullptr);
  return std::make_shared<SimpleSegmentationModel<MobileNetV3LargeFeatures>>(
      kName, std::move(backbone), std::move(head), std::move(aux));
}

}  // namespace fashionseg::models
