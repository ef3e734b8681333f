// fc_densenet56/67/103: FC-DenseNet, "The One Hundred Layers Tiramisu" (Jegou et al., CVPRW
// 2017), following the authors' Lasagne code: 3x3 first conv (48 channels); dense blocks of
// BN-ReLU-conv3x3(growth)-dropout layers; transition down = BN-ReLU-conv1x1-dropout-maxpool;
// transition up = 3x3 transposed conv (stride 2) of the previous block's new features only,
// cropped to the skip connection and concatenated with it; 1x1 conv to logits.
// Paper parameter counts: 1.5M (56), 3.5M (67), 9.4M (103). Inputs are padded to a multiple
// of 32 and the logits cropped back.
#include <string>
#include <vector>

#include "fashionseg/torch/model.h"
#include "models/factories.h"
#include "models/layers.h"

namespace fashionseg::models {

namespace {

constexpr int64_t kFirstConvChannels = 48;
constexpr int64_t kPoolings = 5;
constexpr double kDefaultDropout = 0.2;

struct DenseNetConfig {
  const char* name;
  std::vector<int64_t> layers_per_block;  // 5 down, bottleneck, 5 up (11 entries)
  int64_t growth_rate;
};

// BN -> ReLU -> conv (bias, as Lasagne's) -> dropout; keys "norm", "conv".
class DenseLayerImpl : public torch::nn::Module {
 public:
  DenseLayerImpl(int64_t in_channels, int64_t out_channels, int64_t kernel, double dropout)
      : dropout_(dropout) {
    norm = register_module("norm", batch_norm(in_channels));
    conv = register_module("conv", conv2d(in_channels, out_channels, kernel, 1, kernel / 2));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return torch::dropout(conv(torch::relu(norm(x))), dropout_, is_training());
  }

 private:
  double dropout_;
  FoldableBatchNorm2d norm{nullptr};  // before its convolution: never folded
  torch::nn::Conv2d conv{nullptr};
};
TORCH_MODULE(DenseLayer);

// A dense block: each layer sees the concatenation of the block input and all earlier layers.
class DenseBlockImpl : public torch::nn::Module {
 public:
  DenseBlockImpl(int64_t in_channels, int64_t num_layers, int64_t growth_rate, double dropout) {
    auto list = register_module("layers", torch::nn::ModuleList());
    for (int64_t i = 0; i < num_layers; ++i) {
      layers_.push_back(DenseLayer(in_channels + i * growth_rate, growth_rate, 3, dropout));
      list->push_back(layers_.back());
    }
  }
  /// Returns {input ++ new features, new features only}.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x) {
    torch::Tensor stack = x;
    std::vector<torch::Tensor> created;
    for (auto& layer : layers_) {
      created.push_back(layer->forward(stack));
      stack = torch::cat({stack, created.back()}, 1);
    }
    return {stack, torch::cat(created, 1)};
  }

 private:
  std::vector<DenseLayer> layers_;
};
TORCH_MODULE(DenseBlock);

class FcDenseNet : public SegmentationModel {
 public:
  FcDenseNet(const DenseNetConfig& config, int64_t num_classes, double dropout)
      : name_(config.name) {
    const auto& layers = config.layers_per_block;
    const int64_t growth = config.growth_rate;
    first_conv_ = register_module("first_conv", conv2d(3, kFirstConvChannels, 3, 1, 1));
    auto down_list = register_module("down_blocks", torch::nn::ModuleList());
    auto trans_down_list = register_module("trans_down", torch::nn::ModuleList());
    auto trans_up_list = register_module("trans_up", torch::nn::ModuleList());
    auto up_list = register_module("up_blocks", torch::nn::ModuleList());

    int64_t channels = kFirstConvChannels;
    std::vector<int64_t> skip_channels;
    for (int64_t i = 0; i < kPoolings; ++i) {
      down_blocks_.push_back(DenseBlock(channels, layers[i], growth, dropout));
      down_list->push_back(down_blocks_.back());
      channels += growth * layers[i];
      skip_channels.push_back(channels);
      trans_down_.push_back(DenseLayer(channels, channels, 1, dropout));
      trans_down_list->push_back(trans_down_.back());
    }
    bottleneck_ =
        register_module("bottleneck", DenseBlock(channels, layers[kPoolings], growth, dropout));
    for (int64_t i = 0; i < kPoolings; ++i) {
      // the previous block's new features: growth x its layer count, kept as is
      const int64_t keep = growth * layers[kPoolings + i];
      trans_up_.push_back(
          torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(keep, keep, 3).stride(2)));
      trans_up_list->push_back(trans_up_.back());
      channels = keep + skip_channels[kPoolings - 1 - i];
      const int64_t block_layers = layers[kPoolings + 1 + i];
      up_blocks_.push_back(DenseBlock(channels, block_layers, growth, dropout));
      up_list->push_back(up_blocks_.back());
      channels += growth * block_layers;
    }
    final_conv_ = register_module("final_conv", conv2d(channels, num_classes, 1));
    init_kaiming_fan_out(*this);
  }

  ModelOutput forward_features(const torch::Tensor& images) override {
    check_input(images, name_.c_str());
    torch::Tensor stack = first_conv_(pad_to_multiple(images, int64_t{1} << kPoolings));
    std::vector<torch::Tensor> skips;
    for (size_t i = 0; i < down_blocks_.size(); ++i) {
      stack = down_blocks_[i]->forward(stack).first;
      skips.push_back(stack);
      stack = torch::max_pool2d(trans_down_[i]->forward(stack), 2, 2);
    }
    torch::Tensor to_upsample = bottleneck_->forward(stack).second;
    const torch::Tensor deepest = to_upsample;
    for (size_t i = 0; i < up_blocks_.size(); ++i) {
      const auto& skip = skips[skips.size() - 1 - i];
      // 3x3 stride-2 transposed conv without padding gives 2h+1; Lasagne crops it 'center',
      // which for one extra row/column keeps the top-left 2h x 2w.
      auto up = crop_to(trans_up_[i]->forward(to_upsample), skip.size(2), skip.size(3));
      auto result = up_blocks_[i]->forward(torch::cat({up, skip}, 1));
      stack = result.first;
      to_upsample = result.second;
    }
    ModelOutput output;
    output.out = crop_to(final_conv_(stack), images.size(2), images.size(3));
    output.features = deepest;
    return output;
  }

 private:
  std::string name_;
  torch::nn::Conv2d first_conv_{nullptr};
  std::vector<DenseBlock> down_blocks_, up_blocks_;
  std::vector<DenseLayer> trans_down_;
  std::vector<torch::nn::ConvTranspose2d> trans_up_;
  DenseBlock bottleneck_{nullptr};
  torch::nn::Conv2d final_conv_{nullptr};
};

ModelPtr make_fc_densenet(const DenseNetConfig& config, const ModelOptions& options) {
  check_common_options(options, config.name);
  const double dropout = options.dropout < 0 ? kDefaultDropout : options.dropout;
  return std::make_shared<FcDenseNet>(config, options.num_classes, dropout);
}

}  // namespace

ModelPtr make_fc_densenet56(const ModelOptions& options) {
  return make_fc_densenet({"fc_densenet56", std::vector<int64_t>(11, 4), 12}, options);
}

ModelPtr make_fc_densenet67(const ModelOptions& options) {
  return make_fc_densenet({"fc_densenet67", std::vector<int64_t>(11, 5), 16}, options);
}

ModelPtr make_fc_densenet103(const ModelOptions& options) {
  return make_fc_densenet({"fc_densenet103", {4, 5, 7, 10, 12, 15, 12, 10, 7, 5, 4}, 16}, options);
}

}  // namespace fashionseg::models
