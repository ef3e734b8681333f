// The explicit table of models. No self-registering statics: a static library's linker drops
// them silently; this table is the single place that lists what exists.
#include <sstream>

#include "fashionseg/error.h"
#include "fashionseg/models.h"
#include "models/factories.h"

namespace fashionseg {

namespace {

std::vector<ModelInfo> make_table() {
  using namespace models;
  // Reference counts are for the default ModelOptions: 47 classes, no aux head.
  return {
      {"fcn_resnet50", "FCN, ResNet-50 dilated to output stride 8, FCNHead (torchvision)",
       make_fcn_resnet50, 32970351, "torchvision 0.14 fcn_resnet50(num_classes=47)", true},
      {"deeplabv3_resnet50",
       "DeepLabV3, ResNet-50 dilated to output stride 8, ASPP rates 12/24/36 (torchvision)",
       make_deeplabv3_resnet50, 39645551, "torchvision 0.14 deeplabv3_resnet50(num_classes=47)",
       true},
      {"atrous_resnet50",
       "DeepLab-v1 style: ResNet-50 dilated to output stride 16, 1x1 classifier (original project)",
       make_atrous_resnet50, 23604335,
       "torchvision 0.14 resnet50 without fc (23,508,032) + 1x1 conv 2048->47", true},
      {"lraspp_mobilenet_v3_large",
       "LR-ASPP, MobileNetV3-Large dilated to output stride 16 (torchvision)",
       make_lraspp_mobilenet_v3_large, 3225958,
       "torchvision 0.14 lraspp_mobilenet_v3_large(num_classes=47)", true},
      {"deeplabv3_mobilenet_v3_large",
       "DeepLabV3, MobileNetV3-Large dilated to output stride 16, ASPP 12/24/36 (torchvision)",
       make_deeplabv3_mobilenet_v3_large, 11032159,
       "torchvision 0.14 deeplabv3_mobilenet_v3_large(num_classes=47)", true},
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
  throw Error(ErrorKind::kNotFound, "unknown model '" + name + "'", {},
              "valid models: " + valid.str());
}

ModelPtr create_model(const std::string& name, const ModelOptions& options) {
  return find_model(name).create(options);
}

int64_t count_parameters(const torch::nn::Module& module) {
  int64_t total = 0;
  for (const auto& parameter : module.parameters(/*recurse=*/true)) {
    if (parameter.requires_grad()) total += parameter.numel();
  }
  return total;
}

}  // namespace fashionseg
