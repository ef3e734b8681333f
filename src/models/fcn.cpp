// fcn_resnet50: torchvision's FCN (ResNet-50, FCNHead on layer4, optional FCNHead on layer3).
#include "models/factories.h"
#include "models/heads/fcn_head.h"
#include "models/simple_segmentation.h"

namespace fashionseg::models {

ModelPtr make_fcn_resnet50(const ModelOptions& options) {
  return make_resnet50_segmentation("fcn_resnet50", options, [&] {
    return make_fcn_head(ResNet50BackboneImpl::kLayer4Channels, options.num_classes);
  });
}

}  // namespace fashionseg::models
