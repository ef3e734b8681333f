#pragma once
/// The options of the registered models: one vocabulary of names, types and defaults. The
/// YAML config (model.<name>), a checkpoint's header (model_options.<name>) and
/// `fashionseg bench --arch` (--<name with dashes>) all read and write them through
/// visit_model_knobs(), so a new knob is one line there. No torch: the config reader uses it.

#include <cstdint>

namespace fashionseg {

/// Options shared by the registered models. Each model lists the knobs it reads
/// (ModelInfo::knobs); setting another away from its default is an error
/// (check_model_knobs in model_registry.h). Defaults reproduce the papers / torchvision.
struct ModelOptions {
  /// Output classes (default 47: background + 46 iMaterialist categories). Not a knob: it
  /// comes from the dataset.
  int64_t num_classes = 47;
  /// Width of U-Net's first stage (64 = the paper; 16 or 32 for CPU).
  int64_t base_width = 64;
  /// Channel multiplier for models that allow one (SegNet, U-Net, DeepLabV3/ASPP heads).
  double width_multiplier = 1.0;
  /// Output stride of dilated ResNet backbones: 8 (torchvision) or 16.
  int64_t output_stride = 8;
  /// Build torchvision's auxiliary FCN head (fcn_resnet50, deeplabv3_resnet50,
  /// deeplabv3_mobilenet_v3_large).
  bool aux_head = false;
  /// Use BatchNorm after convolutions where the paper makes it optional (U-Net).
  bool batch_norm = true;
  /// Dropout probability; negative = the model's own default.
  double dropout = -1.0;
  /// Add an image-level category head: the deepest features, average-pooled, through one
  /// linear layer to one logit per class (SegmentationModel::add_category_head). Every model
  /// can carry it; its weights are named `category_head.*`, apart from torchvision's names.
  bool category_head = false;
  /// LR-ASPP: add a light DeepLabV3+-style decoder that refines the output-stride-8 logits
  /// with the backbone's output-stride-4 features (src/models/heads/detail_decoder.h). It starts
  /// as a zero correction, so a trained model can gain it and answer unchanged at first.
  bool detail_decoder = false;
};

/// Calls visit(name, field) for every knob of `options` (every field but num_classes), in a
/// fixed order. `Options` is ModelOptions or const ModelOptions; fields are int64_t, double
/// or bool.
template <typename Options, typename Visitor>
void visit_model_knobs(Options& options, Visitor&& visit) {
  visit("base_width", options.base_width);
  visit("width_multiplier", options.width_multiplier);
  visit("output_stride", options.output_stride);
  visit("aux_head", options.aux_head);
  visit("batch_norm", options.batch_norm);
  visit("dropout", options.dropout);
  visit("category_head", options.category_head);
  visit("detail_decoder", options.detail_decoder);
}

}  // namespace fashionseg
