// lraspp_mobilenet_v3_large: torchvision's LR-ASPP on dilated MobileNetV3-Large (low = C2
// at output stride 8, high = C5 at 16), logits upsampled bilinearly to the input size.
#include "fashionseg/model.h"
#include "models/backbones/mobilenet_v3.h"
#include "models/factories.h"
#include "models/heads/lraspp_head.h"
#include "models/layers.h"

namespace fashionseg::models {

namespace {

constexpr const char* kName = "lraspp_mobilenet_v3_large";

class LrasppMobileNetV3 : public SegmentationModel {
 public:
  explicit LrasppMobileNetV3(int64_t num_classes) {
    backbone_ = register_module("backbone", MobileNetV3LargeFeatures());
    classifier_ = register_module(
        "classifier", LrasppHead(MobileNetV3LargeFeaturesImpl::kLowChannels,
                                 MobileNetV3LargeFeaturesImpl::kHighChannels, num_classes));
  }

  ModelOutput forward_features(const torch::Tensor& images) override {
    check_input(images, kName);
    const auto features = backbone_->forward(images);
    ModelOutput output;
    output.out = resize_bilinear(classifier_->forward(features.low, features.high), images.size(2),
                                 images.size(3));
    output.features = features.high;
    return output;
  }

 private:
  MobileNetV3LargeFeatures backbone_{nullptr};
  LrasppHead classifier_{nullptr};
};

}  // namespace

ModelPtr make_lraspp_mobilenet_v3_large(const ModelOptions& options) {
  check_common_options(options, kName);
  return std::make_shared<LrasppMobileNetV3>(options.num_classes);
}

}  // namespace fashionseg::models
