// unet: U-Net (Ronneberger et al., MICCAI 2015) with padded 3x3 convolutions, so the output
// keeps the input size, optional BatchNorm, and dropout at the bottom of the contracting path
// as the original project (Keras) had. Widths base, 2b, 4b, 8b, 16b (64..1024 at base 64:
// 31.05M parameters with BN and 47 classes; NOTES.md: 31.0M). Inputs are padded to a
// multiple of 16 and the logits cropped back.
#include <vector>

#include "fashionseg/core/error.h"
#include "fashionseg/torch/model.h"
#include "models/factories.h"
#include "models/layers.h"

namespace fashionseg::models {

namespace {

constexpr const char* kName = "unet";
constexpr int64_t kLevels = 4;  // poolings; the input must be a multiple of 2^4
constexpr double kDefaultDropout = 0.5;

// (conv 3x3 -> [BN] -> ReLU) x 2; keys "0" conv, "1" BN, ... (conv bias only without BN).
SequentialBlock double_conv(int64_t in_channels, int64_t out_channels, bool batch_norm_on) {
  SequentialBlock block;
  for (int64_t i = 0; i < 2; ++i) {
    block->push_back(conv2d(i == 0 ? in_channels : out_channels, out_channels, 3, 1, 1, 1,
                            /*bias=*/!batch_norm_on));
    if (batch_norm_on) block->push_back(batch_norm(out_channels));
    // in place: the BN or convolution before it does not need its output for backward
    block->push_back(torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)));
  }
  return block;
}

class UNet : public SegmentationModel {
 public:
  UNet(int64_t num_classes, int64_t base_width, bool batch_norm_on, double dropout)
      : dropout_(dropout) {
    encoder_ = register_module("encoder", torch::nn::ModuleList());
    upsample_ = register_module("upsample", torch::nn::ModuleList());
    decoder_ = register_module("decoder", torch::nn::ModuleList());
    std::vector<int64_t> widths;
    for (int64_t level = 0; level <= kLevels; ++level) widths.push_back(base_width << level);
    int64_t in_channels = 3;
    for (int64_t width : widths) {
      encoder_blocks_.push_back(double_conv(in_channels, width, batch_norm_on));
      encoder_->push_back(encoder_blocks_.back());
      in_channels = width;
    }
    for (int64_t level = kLevels - 1; level >= 0; --level) {
      const int64_t width = widths[static_cast<size_t>(level)];
      auto up = torch::nn::ConvTranspose2d(
          torch::nn::ConvTranspose2dOptions(widths[static_cast<size_t>(level) + 1], width, 2)
              .stride(2));
      upsample_blocks_.push_back(up);
      upsample_->push_back(up);
      decoder_blocks_.push_back(double_conv(2 * width, width, batch_norm_on));
      decoder_->push_back(decoder_blocks_.back());
    }
    classifier_ = register_module("classifier", conv2d(widths[0], num_classes, 1));
    init_kaiming_fan_out(*this);
  }

  ModelOutput forward_features(const torch::Tensor& images) override {
    check_input(images, kName);
    torch::Tensor x = pad_to_multiple(images, int64_t{1} << kLevels);
    std::vector<torch::Tensor> skips;
    for (size_t level = 0; level < encoder_blocks_.size(); ++level) {
      if (level > 0) x = torch::max_pool2d(x, 2, 2);
      x = encoder_blocks_[level]->forward(x);
      if (level + 1 < encoder_blocks_.size()) skips.push_back(x);
    }
    const torch::Tensor deepest = x;
    x = torch::dropout(x, dropout_, is_training());
    for (size_t i = 0; i < decoder_blocks_.size(); ++i) {
      x = transposed_conv_2x2(*upsample_blocks_[i], x);
      x = decoder_blocks_[i]->forward(torch::cat({skips[skips.size() - 1 - i], x}, 1));
    }
    ModelOutput output;
    output.out = crop_to(classifier_(x), images.size(2), images.size(3));
    output.features = deepest;
    return output;
  }

 private:
  double dropout_;
  torch::nn::ModuleList encoder_{nullptr}, upsample_{nullptr}, decoder_{nullptr};
  std::vector<SequentialBlock> encoder_blocks_, decoder_blocks_;
  std::vector<torch::nn::ConvTranspose2d> upsample_blocks_;
  torch::nn::Conv2d classifier_{nullptr};
};

}  // namespace

ModelPtr make_unet(const ModelOptions& options) {
  check_common_options(options, kName);
  const int64_t base_width = scaled_channels(options.base_width, options.width_multiplier);
  if (base_width > (int64_t{1} << 20)) {
    throw_config_error(std::string(kName) +
                       ": base_width too large: " + std::to_string(base_width));
  }
  const double dropout = options.dropout < 0 ? kDefaultDropout : options.dropout;
  return std::make_shared<UNet>(options.num_classes, base_width, options.batch_norm, dropout);
}

}  // namespace fashionseg::models
