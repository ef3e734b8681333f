#pragma once
/// The experiment configuration of `fashionseg train`: one YAML file per experiment, strict
/// (an unknown key or a value of the wrong type is an error naming the file, line and key),
/// plus `--set section.key=value` overrides. The resolved configuration is written beside the
/// run, so every run records exactly what it ran with.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "fashionseg/data/model_options.h"

namespace fashionseg {

/// Which model to build (see `fashionseg models`).
struct ModelConfig {
  std::string type = "unet";  ///< registered model name
  /// The model's knobs, model.<knob> in YAML (model_options.h: one vocabulary with the
  /// checkpoint header and `bench --arch`); num_classes comes from the dataset. A knob the
  /// model does not read must stay at its default (checked when the model is built).
  ModelOptions options;
  std::string init;  ///< weights to start from (fashionseg checkpoint), optional
};

/// The prepared dataset and the augmentation pipeline.
struct DataConfig {
  std::string root;  ///< a directory written by `fashionseg prepare`
  std::string train_split = "train";
  std::string val_split = "val";
  int64_t crop_width = 192;   ///< training crop (and evaluation box) width
  int64_t crop_height = 288;  ///< training crop (and evaluation box) height
  int64_t short_side = 0;     ///< resize shorter side first (0 = fit the crop box)
  double scale_min = 0.5;     ///< random scale range
  double scale_max = 2.0;
  double flip = 0.5;        ///< horizontal flip probability
  double brightness = 0.2;  ///< colour jitter strengths (0 = off)
  double contrast = 0.2;
  double saturation = 0.2;
  double hue = 0.0;
  int64_t batch_size = 8;
  int64_t workers = 2;      ///< loader threads
  int64_t prefetch = 4;     ///< batches decoded ahead
  double oversample = 0.0;  ///< rare-class oversampling strength (0 = off, 1 = full)
  // Photos without masks (prepared with tags or none; docs/training-config.md).
  int64_t unmasked_per_batch = 0;       ///< photos without a mask in each batch (0 = masked only)
  std::string unmasked_photos = "all";  ///< which of them: all (tags and none) or tagged
  bool two_views = false;  ///< batches carry a weak and a strong view of unmasked photos
  // Augmentations for photos unlike the training set (0 = off).
  double zoom = 0.0;      ///< probability of a zoomed-in crop (upper body, a detail)
  double zoom_min = 1.5;  ///< zoom factor range, relative to the whole photo in the crop box
  double zoom_max = 4.0;
  double zoom_upper = 0.5;        ///< share of zoomed crops on the upper body
  double background = 0.0;        ///< probability of a new background (masked photos)
  double background_photo = 0.5;  ///< share of them taken from another masked photo
  double grayscale = 0.0;         ///< probability
  double blur = 0.0;              ///< probability of a Gaussian blur
  double blur_sigma = 2.0;        ///< largest blur sigma, pixels
  double jpeg = 0.0;              ///< probability of JPEG re-compression
  int64_t jpeg_quality = 30;      ///< lowest JPEG quality drawn (up to 95)
  double gamma = 0.0;             ///< gamma from [1/(1+g), 1+g]
  double color_cast = 0.0;        ///< per-channel gains from [1-c, 1+c]
  int64_t cutout = 0;             ///< most cutout rectangles in a strong view
};

/// The training objective.
struct LossConfig {
  std::string type = "ce";             ///< loss spec, e.g. "ce+0.5*dice" (see losses.h)
  std::string class_weights = "none";  ///< none, inverse, median, enet, original
  double label_smoothing = 0.0;
  double focal_gamma = 2.0;
  double aux_weight = 0.4;  ///< weight of the aux head's loss when present
  /// Weight of the category head's multi-label loss (model.category_head): targets from the
  /// tags of tagged photos and from the masks of masked ones.
  double category_weight = 0.5;
  /// A class is in a masked photo's targets when it covers at least this share of it (the
  /// area rule of the category lists).
  double category_min_area = 0.001;
};

/// Self-training on photos without masks (data.unmasked_per_batch > 0): a teacher labels the
/// weak view of each such photo, the student learns those labels on the strong view.
struct SelfTrainingConfig {
  /// none (off), ema (mean teacher: an exponential moving average of the student), or
  /// checkpoint (a fixed model, teacher_checkpoint).
  std::string teacher = "none";
  std::string teacher_checkpoint;  ///< the fixed teacher's .fsm (teacher: checkpoint)
  double ema_decay = 0.999;        ///< mean teacher: weight of the old teacher per step
  double threshold = 0.7;          ///< pixels whose teacher probability is below are ignored
  double weight = 1.0;             ///< weight of the pseudo-label loss after the ramp-up
  double rampup_epochs = 2.0;      ///< sigmoid ramp-up of the weight, in epochs
  bool teacher_flip = true;        ///< average the teacher's logits with the mirrored photo's
  /// Photos with tags: classes they are not tagged with cannot be pseudo-labels.
  bool filter_by_tags = true;
};

/// The optimizer.
struct OptimizerConfig {
  std::string type = "adamw";  ///< sgd, adam, adamw
  double lr = 1e-3;
  double momentum = 0.9;  ///< SGD momentum
  bool nesterov = false;  ///< SGD Nesterov
  double beta1 = 0.9;     ///< Adam/AdamW
  double beta2 = 0.999;
  double weight_decay = 1e-4;
};

/// The learning-rate schedule, in iterations (optimizer steps).
struct ScheduleConfig {
  std::string type = "poly";  ///< poly, cosine, step, constant
  int64_t warmup_iters = 0;   ///< linear warm-up from warmup_factor * lr
  double warmup_factor = 0.1;
  double power = 0.9;        ///< poly exponent
  int64_t step_epochs = 10;  ///< step: decay every N epochs
  double gamma = 0.1;        ///< step: decay factor
  double min_lr = 0.0;       ///< floor of poly/cosine
};

/// The run itself.
struct RunConfig {
  int64_t epochs = 40;
  int64_t max_iters = 0;         ///< stop after this many optimizer steps (0 = no limit)
  int64_t val_every = 1;         ///< validate every N epochs (0 = never)
  int64_t checkpoint_every = 1;  ///< checkpoint every N epochs
  int64_t early_stop = 0;        ///< stop after N validations without a better mIoU (0 = off)
  double grad_clip = 0.0;        ///< max gradient norm (0 = off)
  int64_t accumulate = 1;        ///< batches per optimizer step
  uint64_t seed = 0;
  std::string device = "cpu";  ///< cpu, cuda, cuda:N
  /// Mixed precision: not available (this build's LibTorch has no CUDA), so true is an
  /// error; the key stays so that the resolved configurations of earlier runs still parse.
  bool amp = false;
  bool channels_last =
      true;  ///< NHWC on the CPU where it is faster (ModelInfo::prefers_channels_last, or bf16)
  /// fp32, bf16 (autocast: convolutions and matrix products in bfloat16; losses, optimizer and
  /// weights in fp32) or auto (bf16 where the CPU has it natively and the model gains;
  /// include/fashionseg/core/precision.h).
  std::string precision = "auto";
  std::string output = "runs/experiment";  ///< run directory
};

/// A whole experiment.
struct TrainConfig {
  ModelConfig model;
  DataConfig data;
  LossConfig loss;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  RunConfig train;
  SelfTrainingConfig self_training;
};

/// Parses a YAML document (`source` names it in errors). Unknown keys, wrong types and
/// out-of-range values throw Error(kConfig) naming source, line and the dotted key.
/// `overrides` are "section.key=value" strings applied on top (value in YAML syntax).
TrainConfig parse_train_config(const std::string& yaml_text, const std::string& source,
                               const std::vector<std::string>& overrides = {});

/// Reads and parses a config file (Error(kNotFound) when missing).
TrainConfig load_train_config(const std::filesystem::path& path,
                              const std::vector<std::string>& overrides = {});

/// The resolved configuration as YAML (every key, defaults included); parsing it gives the
/// same configuration back.
std::string to_yaml(const TrainConfig& config);

/// Checks value ranges and choices; throws Error(kConfig) naming the key.
void validate_train_config(const TrainConfig& config);

}  // namespace fashionseg
