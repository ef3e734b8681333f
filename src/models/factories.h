#pragma once
// Factories of the registered architectures (the registry's table points at these). Each
// validates the options it reads and throws a configuration error for bad values.

#include "fashionseg/torch/model.h"

namespace fashionseg::models {

/// torchvision fcn_resnet50: reads num_classes, aux_head, output_stride (8 or 16).
ModelPtr make_fcn_resnet50(const ModelOptions& options);
/// torchvision deeplabv3_resnet50: reads num_classes, aux_head, output_stride (8 or 16),
/// width_multiplier (scales the ASPP/head's 256 channels; 1 = torchvision).
ModelPtr make_deeplabv3_resnet50(const ModelOptions& options);
/// DeepLab-v1 style: ResNet-50 at output stride 16, 1x1 classifier; reads num_classes.
ModelPtr make_atrous_resnet50(const ModelOptions& options);
/// torchvision lraspp_mobilenet_v3_large: reads num_classes, detail_decoder (adds a
/// stride-4 refinement, not in torchvision).
ModelPtr make_lraspp_mobilenet_v3_large(const ModelOptions& options);
/// torchvision deeplabv3_mobilenet_v3_large: reads num_classes, aux_head, width_multiplier
/// (ASPP/head channels, as for deeplabv3_resnet50).
ModelPtr make_deeplabv3_mobilenet_v3_large(const ModelOptions& options);
/// SegNet with a VGG16-BN encoder and max-unpooling decoder: reads num_classes,
/// width_multiplier (all channel widths; 1 = the paper).
ModelPtr make_segnet_vgg16(const ModelOptions& options);
/// U-Net: reads num_classes, base_width, width_multiplier, batch_norm, dropout (default 0.5).
ModelPtr make_unet(const ModelOptions& options);
/// FC-DenseNet 56/67/103: read num_classes, dropout (default 0.2).
ModelPtr make_fc_densenet56(const ModelOptions& options);
ModelPtr make_fc_densenet67(const ModelOptions& options);
ModelPtr make_fc_densenet103(const ModelOptions& options);

}  // namespace fashionseg::models
