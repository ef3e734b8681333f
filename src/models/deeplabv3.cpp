// deeplabv3_resnet50: torchvision's DeepLabV3 (ResNet-50, DeepLabHead with ASPP rates 12, 24,
// 36 on layer4 at either output stride, optional FCNHead on layer3).
#include "models/factories.h"
#include "models/heads/aspp.h"
#include "models/simple_segmentation.h"

namespace fashionseg::models {

ModelPtr make_deeplabv3_resnet50(const ModelOptions& options) {
  return make_resnet50_segmentation("deeplabv3_resnet50", options, [&] {
    return make_deeplab_head(ResNet50BackboneImpl::kLayer4Channels, options.num_classes,
                             scaled_channels(256, options.width_multiplier));
  });
}

}  // namespace fashionseg::models
