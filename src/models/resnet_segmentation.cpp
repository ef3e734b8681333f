#include "models/resnet_segmentation.h"

#include "models/layers.h"

namespace fashionseg::models {

ResNetSegmentationModel::ResNetSegmentationModel(std::string name, int64_t output_stride,
                                                 torch::nn::Sequential classifier,
                                                 torch::nn::Sequential aux_classifier)
    : name_(std::move(name)) {
  backbone_ = register_module("backbone", ResNet50Backbone(output_stride));
  classifier_ = register_module("classifier", std::move(classifier));
  if (aux_classifier)
    aux_classifier_ = register_module("aux_classifier", std::move(aux_classifier));
}

ModelOutput ResNetSegmentationModel::forward_all(const torch::Tensor& images) {
  check_input(images, name_.c_str());
  const int64_t height = images.size(2);
  const int64_t width = images.size(3);
  const auto features = backbone_->forward(images);
  ModelOutput output;
  output.out = resize_bilinear(classifier_->forward(features.layer4), height, width);
  if (aux_classifier_) {
    output.aux = resize_bilinear(aux_classifier_->forward(features.layer3), height, width);
  }
  return output;
}

}  // namespace fashionseg::models
