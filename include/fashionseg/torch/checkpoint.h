#pragma once
/// Checkpoints: one self-describing file (`.fsm`) holding everything needed to rebuild and use
/// a model — architecture name and ModelOptions, class names, preprocessing, provenance, the
/// weights (optionally stored as fp16) — plus an optional slot of training state that a trainer
/// fills with opaque named blobs, tensors and numbers to resume a run exactly.
///
/// The file is a PyTorch zip archive (torch::pickle_save) of a dict, so Python can inspect it
/// with `torch.load(path)`; see docs/weights.md for the layout.

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "fashionseg/data/category_rule.h"
#include "fashionseg/torch/model.h"
#include "fashionseg/torch/state_dict.h"
#include "fashionseg/torch/tensor_image.h"

namespace fashionseg {

/// The value of the file's "format" entry; anything else is not a fashionseg checkpoint.
inline constexpr const char* kCheckpointFormat = "fashionseg.checkpoint";
/// The layout version this build writes (and the newest it reads).
inline constexpr int64_t kCheckpointFormatVersion = 1;

/// How images are prepared for the model.
struct Preprocessing {
  int64_t input_height = 0;     ///< training / recommended input height in pixels; 0 = any
  int64_t input_width = 0;      ///< training / recommended input width in pixels; 0 = any
  Normalization normalization;  ///< mean/std applied to RGB in [0,1] (default ImageNet)
};

/// Where the weights came from.
struct Provenance {
  std::string fashionseg_version;  ///< version that wrote the file (filled by save_checkpoint
                                   ///< when empty)
  std::string created_utc;  ///< ISO 8601 UTC time of writing (filled by save_checkpoint when empty)
  std::string config_text;  ///< resolved training configuration (YAML), empty when none
  int64_t epoch = -1;       ///< completed training epochs; -1 = not trained here
  std::string source;       ///< free text, e.g. "imported from fcn_resnet50_coco.pt"
};

/// What a trainer needs to resume: opaque to the checkpoint code, which stores each entry
/// under its name (e.g. blobs["optimizer"] = bytes of torch::serialize::OutputArchive,
/// tensors["rng.cpu"] = torch::get_rng_state(), numbers["best_miou"] = 0.41).
struct TrainingState {
  std::map<std::string, std::string> blobs;      ///< named byte strings (any bytes)
  std::map<std::string, torch::Tensor> tensors;  ///< named tensors (saved on the CPU)
  std::map<std::string, double> numbers;         ///< named numbers (epoch, step, best score)
  std::map<std::string, std::string> texts;      ///< named UTF-8 strings (scheduler name, ...)
  /// True when nothing is stored.
  bool empty() const {
    return blobs.empty() && tensors.empty() && numbers.empty() && texts.empty();
  }
};

/// Everything a checkpoint file holds.
struct Checkpoint {
  std::string architecture;              ///< registered model name, e.g. "deeplabv3_resnet50"
  ModelOptions options;                  ///< options the model was built with
  std::vector<std::string> class_names;  ///< one per output class (index 0 = background)
  Preprocessing preprocessing;
  Provenance provenance;
  /// How the categories of a photo are decided (category_rule.h): per-class thresholds on
  /// the category head's probability and the mask's area, calibrated by `fashionseg
  /// calibrate`. Empty (num_classes() == 0) when the file has none: the area rule applies.
  CategoryThresholds category_rule;
  StateDict weights;       ///< parameters and buffers by name; float32 in memory, on the CPU
  TrainingState training;  ///< empty for shipped models
};

/// Options of save_checkpoint.
struct SaveCheckpointOptions {
  /// Store floating-point weights as fp16 (half the size; loaded back as float32). Training
  /// state is always stored as given.
  bool half_precision_weights = false;
};

/// Serialises a checkpoint to the bytes of a file (tensors copied to the CPU, so a file written
/// from a GPU loads anywhere). Fills provenance.fashionseg_version / created_utc when empty.
std::string serialize_checkpoint(const Checkpoint& checkpoint,
                                 const SaveCheckpointOptions& options = {});

/// Writes serialize_checkpoint(...) to `path` atomically (temp file, then rename).
void save_checkpoint(const Checkpoint& checkpoint, const std::filesystem::path& path,
                     const SaveCheckpointOptions& options = {});

/// Parses checkpoint bytes; `source` names the file in errors. Throws Error(kInput) naming the
/// source for truncated or corrupt data, foreign files (e.g. a plain torch.save dict: the hint
/// points to import-weights), a newer format version, or malformed metadata.
Checkpoint parse_checkpoint(const std::string& bytes, const std::string& source);

/// Reads a checkpoint file: Error(kNotFound) when absent, otherwise as parse_checkpoint.
/// Tensors are on the CPU; weights are float32 whatever the storage precision.
Checkpoint load_checkpoint(const std::filesystem::path& path);

/// A checkpoint of `model` (weights copied to the CPU) with the given identity; class names
/// default to "class_0".."class_{N-1}" when empty.
Checkpoint make_checkpoint(const std::string& architecture, const ModelOptions& options,
                           const torch::nn::Module& model,
                           std::vector<std::string> class_names = {});

/// A model rebuilt from a checkpoint.
struct LoadedModel {
  ModelPtr model;         ///< the registered architecture with the weights loaded, eval mode
  Checkpoint checkpoint;  ///< the file's contents (weights included)
};

/// Builds the registered architecture named in the checkpoint with its options and loads its
/// weights strictly (any missing/unexpected/mismatched key is an Error(kInput) naming the file
/// and the keys). The model is on the CPU in eval mode.
LoadedModel load_model(const std::filesystem::path& checkpoint_path);

/// Same, for a checkpoint already in memory; `source` names it in errors.
ModelPtr build_model(const Checkpoint& checkpoint, const std::string& source);

/// ModelOptions as a JSON object text, and back (unknown keys are an Error(kInput); absent
/// keys keep their defaults, so older files stay readable).
std::string model_options_to_json(const ModelOptions& options);
ModelOptions model_options_from_json(const std::string& json_text, const std::string& source);

}  // namespace fashionseg
