// segnet_vgg16: SegNet (Badrinarayanan et al., TPAMI 2017). VGG16-BN encoder whose keys match
// torchvision's vgg16_bn().features; a mirrored decoder that upsamples with the encoder's
// max-pooling indices (max-unpooling), each conv followed by BN and ReLU; a final 3x3 conv to
// logits. At width 1 and 47 classes: 29.46M parameters, the paper's 29.5M (the original Keras
// project's 31.8M came from plain upsampling layers, which this does not reproduce).
#include <vector>

#include "fashionseg/torch/model.h"
#include "models/backbones/vgg.h"
#include "models/factories.h"
#include "models/layers.h"

namespace fashionseg::models {

namespace {

constexpr const char* kName = "segnet_vgg16";
// Padding to a multiple of 2^5 keeps every pooled size exact, so unpooling restores it.
constexpr int64_t kTotalStride = 32;

class SegNet : public SegmentationModel {
 public:
  SegNet(int64_t num_classes, double width_multiplier) {
    features_ = register_module("features", Vgg16BnFeatures(width_multiplier));
    const auto& channels = features_->stage_channels();
    const auto& convs = Vgg16BnFeaturesImpl::convs_per_stage();
    decoder_ = register_module("decoder", torch::nn::ModuleList());
    // Decoder stage s mirrors encoder stage (4 - s): same number of convs at that stage's
    // width, the last one narrowing to the next shallower stage's width.
    for (int64_t s = 0; s < 5; ++s) {
      const size_t mirror = static_cast<size_t>(4 - s);
      const int64_t width = channels[mirror];
      const int64_t out_width = mirror > 0 ? channels[mirror - 1] : channels[0];
      SequentialBlock stage;
      for (int64_t i = 0; i < convs[mirror]; ++i) {
        const bool last = i + 1 == convs[mirror];
        // the shallowest stage's last conv is the classifier (below), not part of the stage
        if (mirror == 0 && last) break;
        const int64_t out = last ? out_width : width;
        stage->push_back(conv2d(width, out, 3, 1, 1));
        stage->push_back(batch_norm(out));
        stage->push_back(torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)));
      }
      decoder_->push_back(stage);
      stages_.push_back(stage);
    }
    classifier_ = register_module("classifier", conv2d(channels[0], num_classes, 3, 1, 1));
    init_kaiming_fan_out(*this);
  }

  ModelOutput forward_features(const torch::Tensor& images) override {
    check_input(images, kName);
    const auto padded = pad_to_multiple(images, kTotalStride);
    auto encoding = features_->forward(padded);
    torch::Tensor x = encoding.output;
    const torch::Tensor deepest = x;
    for (size_t s = 0; s < stages_.size(); ++s) {
      const auto& pooled = encoding.stages[stages_.size() - 1 - s];
      x = torch::max_unpool2d(x, pooled.indices, pooled.size_before);
      x = stages_[s]->forward(x);
    }
    ModelOutput output;
    output.out = crop_to(classifier_(x), images.size(2), images.size(3));
    output.features = deepest;
    return output;
  }

 private:
  Vgg16BnFeatures features_{nullptr};
  torch::nn::ModuleList decoder_{nullptr};
  std::vector<SequentialBlock> stages_;
  torch::nn::Conv2d classifier_{nullptr};
};

}  // namespace

ModelPtr make_segnet_vgg16(const ModelOptions& options) {
  check_common_options(options, kName);
  return std::make_shared<SegNet>(options.num_classes, options.width_multiplier);
}

}  // namespace fashionseg::models
