// lraspp_mobilenet_v3_large: torchvision's LR-ASPP on dilated MobileNetV3-Large (low = C2
// at output stride 8, high = C5 at 16), logits upsampled bilinearly to the input size. With
// the detail_decoder knob, a correction computed at output stride 4 is added (upsampled
// separately, so a zero correction leaves torchvision's output exactly as it was).
#include "fashionseg/torch/model.h"
#include "models/backbones/mobilenet_v3.h"
#include "models/factories.h"
#include "models/heads/detail_decoder.h"
#include "models/heads/lraspp_head.h"
#include "models/layers.h"

namespace fashionseg::models {

namespace {

constexpr const char* kName = "lraspp_mobilenet_v3_large";

class LrasppMobileNetV3 : public SegmentationModel {
 public:
  LrasppMobileNetV3(int64_t num_classes, bool detail_decoder) {
    backbone_ = register_module("backbone", MobileNetV3LargeFeatures());
    classifier_ = register_module(
        "classifier", LrasppHead(MobileNetV3LargeFeaturesImpl::kLowChannels,
                                 MobileNetV3LargeFeaturesImpl::kHighChannels, num_classes));
    if (detail_decoder) {
      decoder_ = register_module(
          "detail_decoder",
          DetailDecoder(MobileNetV3LargeFeaturesImpl::kDetailChannels, num_classes));
    }
  }

  ModelOutput forward_features(const torch::Tensor& images) override {
    check_input(images, kName);
    const auto features = backbone_->forward(images);
    ModelOutput output;
    const auto coarse = classifier_->forward(features.low, features.high);
    output.out = resize_bilinear(coarse, images.size(2), images.size(3));
    if (decoder_) {
      output.out = output.out + resize_bilinear(decoder_->forward(coarse, features.detail),
                                                images.size(2), images.size(3));
    }
    output.features = features.high;
    return output;
  }

 private:
  MobileNetV3LargeFeatures backbone_{nullptr};
  LrasppHead classifier_{nullptr};
  DetailDecoder decoder_{nullptr};
};

}  // namespace

ModelPtr make_lraspp_mobilenet_v3_large(const ModelOptions& options) {
  check_common_options(options, kName);
  return std::make_shared<LrasppMobileNetV3>(options.num_classes, options.detail_decoder);
}

}  // namespace fashionseg::models
