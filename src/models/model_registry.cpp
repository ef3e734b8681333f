// The explicit table of models. No self-registering statics: a static library's linker drops
// them silently; this table is the single place that lists what exists.
#include <algorithm>
#include <sstream>

#include "fashionseg/core/error.h"
#include "fashionseg/torch/model_registry.h"
#include "models/factories.h"

namespace fashionseg {

namespace {

std::vector<ModelInfo> make_table() {
  using namespace models;
  // Reference counts are for the default ModelOptions: 47 classes, no aux head. Then the
  // relative tolerance (0 = exact, torchvision; 0.02 = a paper's rounded figure), whether NHWC
  // is faster on the CPU, the knobs the model reads, and whether bf16 autocast is faster on a
  // CPU with native bf16 for inference, then for a training step (measured: bench/RESULTS.md).
  constexpr bool kNhwc = true, kNchw = false;
  // SegNet stays fp32: bf16 rounding moves its max-pooling indices, and unpooling then puts
  // features in other places (tests/models/precision_test.cpp).
  constexpr bool kBf16 = true, kFp32 = false;
  return {
      {"fcn_resnet50",
       "FCN, ResNet-50 dilated to output stride 8, FCNHead (torchvision)",
       make_fcn_resnet50,
       32970351,
       "torchvision 0.14 fcn_resnet50(num_classes=47)",
       0.0,
       kNchw,
       {"aux_head", "output_stride"},
       kBf16,
       kBf16},
      {"deeplabv3_resnet50",
       "DeepLabV3, ResNet-50 dilated to output stride 8, ASPP rates 12/24/36 (torchvision)",
       make_deeplabv3_resnet50,
       39645551,
       "torchvision 0.14 deeplabv3_resnet50(num_classes=47)",
       0.0,
       kNchw,
       {"aux_head", "output_stride", "width_multiplier"},
       kBf16,
       kBf16},
      {"atrous_resnet50",
       "DeepLab-v1 style: ResNet-50 dilated to output stride 16, 1x1 classifier (original project)",
       make_atrous_resnet50,
       23604335,
       "torchvision 0.14 resnet50 without fc (23,508,032) + 1x1 conv 2048->47",
       0.0,
       kNchw,
       {},
       kBf16,
       kBf16},
      {"lraspp_mobilenet_v3_large",
       "LR-ASPP, MobileNetV3-Large dilated to output stride 16 (torchvision)",
       make_lraspp_mobilenet_v3_large,
       3225958,
       "torchvision 0.14 lraspp_mobilenet_v3_large(num_classes=47)",
       0.0,
       kNhwc,
       {"detail_decoder"},
       kBf16,
       kFp32},
      {"deeplabv3_mobilenet_v3_large",
       "DeepLabV3, MobileNetV3-Large dilated to output stride 16, ASPP 12/24/36 (torchvision)",
       make_deeplabv3_mobilenet_v3_large,
       11032159,
       "torchvision 0.14 deeplabv3_mobilenet_v3_large(num_classes=47)",
       0.0,
       kNhwc,
       {"aux_head", "width_multiplier"},
       kBf16,
       kFp32},
      {"segnet_vgg16",
       "SegNet: VGG16-BN encoder (torchvision keys), max-unpooling mirrored decoder",
       make_segnet_vgg16,
       29500000,
       "SegNet paper (Badrinarayanan et al., TPAMI 2017): 29.5M",
       0.02,
       kNchw,
       {"width_multiplier"},
       kFp32,
       kFp32},
      {"unet",
       "U-Net: 64..1024 channels, padded convs, BatchNorm, dropout 0.5 at the bottom",
       make_unet,
       31000000,
       "original project (NOTES.md): 31.0M with 47 outputs",
       0.02,
       kNchw,
       {"base_width", "width_multiplier", "batch_norm", "dropout"},
       kBf16,
       kBf16},
      {"fc_densenet56",
       "FC-DenseNet56 (Tiramisu): 4 layers per block, growth 12",
       make_fc_densenet56,
       1500000,
       "Jegou et al. 2017, Table 2: 1.5M; the stated configuration (48 + 4 layers x growth 12, "
       "bottleneck 4, authors' Lasagne code) has 1.38M trainable, 7.8% below, so 8% is allowed",
       0.08,
       kNchw,
       {"dropout"},
       kBf16,
       kFp32},
      {"fc_densenet67",
       "FC-DenseNet67 (Tiramisu): 5 layers per block, growth 16",
       make_fc_densenet67,
       3500000,
       "Jegou et al. 2017, Table 2: 3.5M",
       0.02,
       kNchw,
       {"dropout"},
       kBf16,
       kFp32},
      {"fc_densenet103",
       "FC-DenseNet103 (Tiramisu): blocks 4,5,7,10,12,15, growth 16, dropout 0.2",
       make_fc_densenet103,
       9400000,
       "Jegou et al. 2017, Table 2: 9.4M",
       0.02,
       kNchw,
       {"dropout"},
       kBf16,
       kFp32},
  };
}

}  // namespace

const std::vector<ModelInfo>& list_models() {
  static const std::vector<ModelInfo> table = make_table();
  return table;
}

const ModelInfo& find_model(const std::string& name) {
  std::ostringstream valid;
  for (const auto& info : list_models()) {
    if (info.name == name) return info;
    valid << (valid.tellp() > 0 ? ", " : "") << info.name;
  }
  // A configuration error (exit 2) like any other bad option value: the name comes from a
  // config, --arch or a checkpoint's header, never from a file lookup.
  throw Error(ErrorKind::kConfig, "unknown model '" + name + "'", {},
              "valid models: " + valid.str());
}

bool ModelInfo::reads(const std::string& knob) const {
  // Every model can carry the category head (SegmentationModel::add_category_head).
  if (knob == "category_head") return true;
  return std::find(knobs.begin(), knobs.end(), knob) != knobs.end();
}

void check_model_knobs(const std::string& name, const ModelOptions& options) {
  const ModelInfo& info = find_model(name);
  const ModelOptions unset;
  std::vector<double> defaults;
  visit_model_knobs(unset, [&](const char*, const auto& value) {
    defaults.push_back(static_cast<double>(value));
  });
  size_t index = 0;
  visit_model_knobs(options, [&](const char* knob, const auto& value) {
    const double set = static_cast<double>(value);
    const double default_value = defaults[index++];
    if (info.reads(knob) || set == default_value) return;
    std::ostringstream text, read;
    text << name << " does not use the option " << knob << " (set to " << set << ")";
    for (const auto& used : info.knobs) read << (read.tellp() > 0 ? ", " : "") << used;
    throw_config_error(
        text.str(), "remove it; " + name + " reads " + (info.knobs.empty() ? "none" : read.str()));
  });
}

ModelPtr create_model(const std::string& name, const ModelOptions& options) {
  ModelPtr model = find_model(name).create(options);
  if (options.category_head) model->add_category_head(options.num_classes);
  return model;
}

int64_t count_parameters(const torch::nn::Module& module) {
  int64_t total = 0;
  for (const auto& parameter : module.parameters(/*recurse=*/true)) {
    if (parameter.requires_grad()) total += parameter.numel();
  }
  return total;
}

}  // namespace fashionseg
