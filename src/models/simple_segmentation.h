#pragma once
// torchvision's _SimpleSegmentationModel: backbone -> classifier on the deepest features (and
// aux_classifier on shallower ones) -> bilinear upsampling to the input size. FCN, DeepLabV3
// (on ResNet-50 or MobileNetV3-Large) and the atrous ResNet-50 differ only in their heads.
// Submodules are registered as "backbone", "classifier" and "aux_classifier": torchvision's
// state_dict names.

#include <torch/torch.h>

#include <functional>
#include <string>

#include "fashionseg/torch/model.h"
#include "models/backbones/mobilenet_v3.h"
#include "models/backbones/resnet.h"
#include "models/layers.h"

namespace fashionseg::models {

/// Which features of a backbone feed the classifier ("out") and the aux classifier ("aux").
inline const torch::Tensor& out_features(const ResNetFeatures& f) { return f.layer4; }
inline const torch::Tensor& aux_features(const ResNetFeatures& f) { return f.layer3; }
inline const torch::Tensor& out_features(const MobileNetV3Features& f) { return f.high; }
inline const torch::Tensor& aux_features(const MobileNetV3Features& f) { return f.low; }

template <typename Backbone>
class SimpleSegmentationModel : public SegmentationModel {
 public:
  /// `aux_classifier` may be null (no aux head). `name` is used in error messages.
  SimpleSegmentationModel(std::string name, Backbone backbone, torch::nn::Sequential classifier,
                          torch::nn::Sequential aux_classifier)
      : name_(std::move(name)) {
    backbone_ = register_module("backbone", std::move(backbone));
    classifier_ = register_module("classifier", std::move(classifier));
    if (aux_classifier) {
      aux_classifier_ = register_module("aux_classifier", std::move(aux_classifier));
    }
  }

  ModelOutput forward_features(const torch::Tensor& images) override {
    check_input(images, name_.c_str());
    const int64_t height = images.size(2);
    const int64_t width = images.size(3);
    const auto features = backbone_->forward(images);
    ModelOutput output;
    output.out = resize_bilinear(classifier_->forward(out_features(features)), height, width);
    output.features = out_features(features);
    if (aux_classifier_) {
      output.aux = resize_bilinear(aux_classifier_->forward(aux_features(features)), height, width);
    }
    return output;
  }

 private:
  std::string name_;
  Backbone backbone_{nullptr};
  torch::nn::Sequential classifier_{nullptr};
  torch::nn::Sequential aux_classifier_{nullptr};
};

/// A dilated ResNet-50 with the classifier `make_classifier` builds on layer4 and, when
/// options.aux_head, torchvision's FCNHead on layer3: the shared part of fcn_resnet50 and
/// deeplabv3_resnet50. Checks the common options and output_stride (8 or 16); throws
/// Error(kConfig) naming `name`. Builds aux head, classifier, backbone in that order, so a
/// seed gives the same initial weights as before.
ModelPtr make_resnet50_segmentation(const char* name, const ModelOptions& options,
                                    const std::function<torch::nn::Sequential()>& make_classifier);

}  // namespace fashionseg::models
