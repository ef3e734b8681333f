// deeplabv3_mobilenet_v3_large: torchvision's DeepLabV3 on dilated MobileNetV3-Large:
// DeepLabHead on C5 (960 channels, output stride 16), optional FCNHead on C2 (40 channels).
#include "fashionseg/model.h"
#include "models/backbones/mobilenet_v3.h"
#include "models/factories.h"
#include "models/heads/aspp.h"
#include "models/heads/fcn_head.h"
#include "models/layers.h"

namespace fashionseg::models {

namespace {

constexpr const char* kName = "deeplabv3_mobilenet_v3_large";

class DeepLabV3MobileNetV3 : public SegmentationModel {
 public:
  DeepLabV3MobileNetV3(int64_t num_classes, bool aux_head, int64_t head_channels) {
    backbone_ = register_module("backbone", MobileNetV3LargeFeatures());
    classifier_ = register_module(
        "classifier",
        make_deeplab_head(MobileNetV3LargeFeaturesImpl::kHighChannels, num_classes, head_channels));
    if (aux_head) {
      aux_classifier_ = register_module(
          "aux_classifier", make_fcn_head(MobileNetV3LargeFeaturesImpl::kLowChannels, num_classes));
    }
  }

  ModelOutput forward_all(const torch::Tensor& images) override {
    check_input(images, kName);
    const int64_t height = images.size(2);
    const int64_t width = images.size(3);
    const auto features = backbone_->forward(images);
    ModelOutput output;
    output.out = resize_bilinear(classifier_->forward(features.high), height, width);
    if (aux_classifier_) {
      output.aux = resize_bilinear(aux_classifier_->forward(features.low), height, width);
    }
    return output;
  }

 private:
  MobileNetV3LargeFeatures backbone_{nullptr};
  torch::nn::Sequential classifier_{nullptr};
  torch::nn::Sequential aux_classifier_{nullptr};
};

}  // namespace

ModelPtr make_deeplabv3_mobilenet_v3_large(const ModelOptions& options) {
  check_common_options(options, kName);
  return std::make_shared<DeepLabV3MobileNetV3>(options.num_classes, options.aux_head,
                                                scaled_channels(256, options.width_multiplier));
}

}  // namespace fashionseg::models
