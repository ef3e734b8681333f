#pragma once
/// The model registry: every architecture fashionseg can build, by name, from one explicit
/// table (src/models/model_registry.cpp). Adding a model = one row there (docs/adding-a-model.md).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fashionseg/torch/model.h"

namespace fashionseg {

/// One registered architecture.
struct ModelInfo {
  std::string name;     ///< registry name, e.g. "deeplabv3_resnet50" (torchvision's when shared)
  std::string summary;  ///< one line: architecture, backbone, what it reproduces
  /// Builds the model (random initialisation); throws a configuration error for bad options.
  std::function<ModelPtr(const ModelOptions&)> create;
  /// Trainable parameters of the reference for the default ModelOptions (47 classes, no aux).
  int64_t reference_parameters = 0;
  /// Where reference_parameters comes from (torchvision, a paper's table, ...).
  std::string reference_source;
  /// Largest relative difference allowed between our count and reference_parameters:
  /// 0 = exactly equal (same architecture as torchvision); 0.02 for a paper's rounded figure;
  /// more only where reference_source explains why the paper's figure cannot be met.
  double reference_tolerance = 0.0;
  /// Runs faster with NHWC (channels-last) tensors on the CPU, so inference and training use
  /// them there. Measured (bench/RESULTS.md): the MobileNetV3 models gain about 1.2x
  /// (depthwise convolutions); the dense convolutions of the ResNet, VGG, U-Net and DenseNet
  /// models run about 2x slower NHWC in LibTorch 1.13.
  bool prefers_channels_last = false;
  /// The ModelOptions knobs the model reads (names of visit_model_knobs), besides num_classes.
  std::vector<std::string> knobs;
  /// Runs faster in bf16 autocast on a CPU with native bf16 (precision `auto` picks it
  /// there); in bf16 every model runs NHWC, which then pays for the dense convolutions too.
  /// Measured: bench/RESULTS.md ("bf16").
  bool bf16_helps = false;
  /// The same for a training step (forward, backward, update), which differs: the depthwise
  /// convolutions of the MobileNetV3 models train slower in bf16 on this CPU.
  bool bf16_helps_training = false;

  /// Whether the model reads `knob`.
  bool reads(const std::string& knob) const;
  /// Whether it can build torchvision's auxiliary head (it reads aux_head).
  bool has_aux_head() const { return reads("aux_head"); }
};

/// Every registered model, in a fixed order (the order `fashionseg models` prints).
const std::vector<ModelInfo>& list_models();

/// The registered model called `name`; throws Error(kNotFound) listing the valid names.
const ModelInfo& find_model(const std::string& name);

/// Throws Error(kConfig) when `options` sets a knob that the model called `name` does not
/// read away from its default (e.g. base_width for an LR-ASPP model): such a setting would
/// otherwise be silently ignored. The message names the knob, its value and the knobs the
/// model reads. Throws Error(kNotFound) for an unknown name.
void check_model_knobs(const std::string& name, const ModelOptions& options);

/// Builds the model called `name` with `options` (and its category head when
/// options.category_head). Throws Error(kNotFound) listing the valid
/// names for an unknown name, Error(kConfig) for options the model rejects.
ModelPtr create_model(const std::string& name, const ModelOptions& options = {});

/// Number of trainable parameters (requires_grad) of a module and its children.
int64_t count_parameters(const torch::nn::Module& module);

/// Stores every 4-D parameter (the convolution weights) channels-last (NHWC), so that with
/// NHWC inputs oneDNN skips the layout conversions around each convolution. Same values;
/// call it after moving the model to its device.
void to_channels_last(torch::nn::Module& module);

/// Folds every batch normalisation that directly follows a convolution into that
/// convolution's weight and bias, so inference skips one pass over each feature map; returns
/// how many were folded (a second call folds none). Outputs equal the unfolded model's within
/// float rounding. For inference only: call it on a model in eval mode that is already on its
/// final device and memory format, and never train, save or clone the model afterwards (the
/// folded biases are not registered parameters). Throws std::logic_error in training mode.
int64_t fold_batch_norms(torch::nn::Module& model);

/// Stores the weights and biases of every convolution and linear layer (not transposed
/// convolutions: autocast leaves those in their weights' type) in bf16 and returns how many
/// layers changed. Under bf16 autocast (CpuBf16Autocast)
/// those layers compute in bf16 anyway, so results are unchanged; without it the model no
/// longer runs on fp32 inputs. It saves the weight casts autocast makes on every forward pass
/// (LibTorch drops its cast cache when autocast ends): for deeplabv3_resnet50, 40M weights read
/// in fp32 and written in bf16, about 0.24 GB of memory traffic per pass (the time it saves
/// was within the noise: bench/RESULTS.md). For inference under autocast only, after
/// fold_batch_norms; never train or save the model afterwards.
int64_t store_autocast_weights_in_bf16(torch::nn::Module& model);

/// Runs the convolutions of the modules that support it (ResNet-50's bottlenecks, ASPP) through
/// oneDNN directly for bf16 inference on the CPU (src/models/fused_convolution.h): weights
/// packed once, bias, ReLU and residual add in the convolution's own output pass, and 3x3
/// convolutions with >= 128 channels by Winograd's F(2x2, 3x3) where it computes at most 60% of
/// the direct products (src/models/winograd_kernel.h). Those modules take that path for bf16
/// channels-last CPU inputs with gradients off and LibTorch's operators otherwise; outputs
/// equal LibTorch's bf16 path within bf16 rounding (Winograd's within 0.5% relative RMS of the
/// exact convolution where the direct bf16 one is within 0.2%). Keeps a packed bf16 copy of the
/// fused weights. Call after fold_batch_norms (modules with unfolded normalisations are left
/// alone); for inference only. Returns how many convolutions now run fused: 0 where the CPU
/// lacks native bf16.
int64_t fuse_convolutions(torch::nn::Module& model);

/// How a model is prepared for inference (prepare_for_inference).
struct InferencePreparation {
  torch::Device device = torch::kCPU;
  bool channels_last = false;    ///< to_channels_last
  bool fold_batch_norms = true;  ///< fold_batch_norms
  bool bf16_weights = false;     ///< store_autocast_weights_in_bf16 (bf16 autocast only)
  /// fuse_convolutions, where it applies: CPU, channels-last, bf16, folded batch norms.
  bool fuse_convolutions = true;
};

/// What prepare_for_inference did.
struct InferencePrepared {
  int64_t batch_norms_folded = 0;
  int64_t convolutions_fused = 0;
};

/// Moves `model` to its device, sets eval mode, then applies the layout, the batch-norm
/// folding, the bf16 weights and the fused convolutions `preparation` asks for, in the one
/// order that works. The Segmenter and `fashionseg bench` prepare every model this way. The
/// model is for inference only afterwards (fold_batch_norms, store_autocast_weights_in_bf16,
/// fuse_convolutions).
InferencePrepared prepare_for_inference(torch::nn::Module& model,
                                        const InferencePreparation& preparation);

}  // namespace fashionseg
