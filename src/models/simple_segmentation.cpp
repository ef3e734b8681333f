#include "models/simple_segmentation.h"

#include "fashionseg/core/error.h"
#include "models/heads/fcn_head.h"

namespace fashionseg::models {

ModelPtr make_resnet50_segmentation(const char* name, const ModelOptions& options,
                                    const std::function<torch::nn::Sequential()>& make_classifier) {
  check_common_options(options, name);
  if (options.output_stride != 8 && options.output_stride != 16) {
    throw_config_error(std::string(name) + ": output_stride must be 8 or 16, got " +
                       std::to_string(options.output_stride));
  }
  auto aux = options.aux_head
                 ? make_fcn_head(ResNet50BackboneImpl::kLayer3Channels, options.num_classes)
                 : torch::nn::Sequential(nullptr);
  auto classifier = make_classifier();
  ResNet50Backbone backbone(options.output_stride);
  return std::make_shared<SimpleSegmentationModel<ResNet50Backbone>>(
      name, std::move(backbone), std::move(classifier), std::move(aux));
}

}  // namespace fashionseg::models
