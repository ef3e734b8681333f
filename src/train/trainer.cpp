#include "fashionseg/torch/trainer.h"
#include "fashionseg/data/json_text.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

#include "fashionseg/core/error.h"
#include "fashionseg/core/files.h"
#include "fashionseg/core/precision.h"
#include "fashionseg/core/version.h"
#include "fashionseg/data/class_stats.h"
#include "fashionseg/data/dataset_index.h"
#include "fashionseg/data/metrics_json.h"
#include "fashionseg/torch/checkpoint.h"
#include "fashionseg/torch/cpu_autocast.h"
#include "fashionseg/torch/data_loader.h"
#include "fashionseg/torch/device.h"
#include "fashionseg/torch/evaluation.h"
#include "fashionseg/torch/model_registry.h"
#include "fashionseg/torch/optimizer.h"
#include "infer/engine.h"
#include "losses/losses.h"
#include "train/distributed.h"
#include "train/sample_weights.h"
#include "train/schedule.h"
#include "train/self_training.h"

namespace fashionseg {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

/// The configured knobs with the dataset's class count; a knob the model does not read is an
/// error rather than silently ignored.
ModelOptions model_options(const ModelConfig& model, int64_t num_classes) {
  ModelOptions options = model.options;
  options.num_classes = num_classes;
  check_model_knobs(model.type, options);
  return options;
}

TransformOptions train_transform_options(const DataConfig& data) {
  TransformOptions t;
  const cv::Size crop(static_cast<int>(data.crop_width), static_cast<int>(data.crop_height));
  if (data.short_side > 0) {
    t.resize = ResizeMode::kShortSide;
    t.short_side = static_cast<int>(data.short_side);
  } else {
    t.resize = ResizeMode::kFitBox;
    t.box = crop;
  }
  t.scale_min = data.scale_min;
  t.scale_max = data.scale_max;
  t.crop = crop;
  t.flip_probability = data.flip;
  t.jitter.brightness = data.brightness;
  t.jitter.contrast = data.contrast;
  t.jitter.saturation = data.saturation;
  t.jitter.hue = data.hue;
  t.zoom.probability = data.zoom;
  t.zoom.scale_min = data.zoom_min;
  t.zoom.scale_max = data.zoom_max;
  t.zoom.upper = data.zoom_upper;
  t.background.probability = data.background;
  t.background.photo_share = data.background_photo;
  t.appearance.grayscale = data.grayscale;
  t.appearance.blur = data.blur;
  t.appearance.blur_sigma = data.blur_sigma;
  t.appearance.jpeg = data.jpeg;
  t.appearance.jpeg_quality = static_cast<int>(data.jpeg_quality);
  t.appearance.gamma = data.gamma;
  t.appearance.color_cast = data.color_cast;
  t.cutout = static_cast<int>(data.cutout);
  return t;
}

TransformOptions eval_transform_options(const DataConfig& data) {
  return fit_into_box({static_cast<int>(data.crop_width), static_cast<int>(data.crop_height)});
}

std::vector<LoaderSample> loader_samples(const std::vector<DatasetEntry>& entries) {
  std::vector<LoaderSample> samples;
  samples.reserve(entries.size());
  for (const auto& entry : entries) {
    samples.push_back({entry.image, entry.mask, entry.image_id, entry.tags, entry.has_tags(),
                       cv::Size(entry.width, entry.height)});
  }
  return samples;
}

// The training photos: the masked ones, then (with mixed batches) those without a mask.
std::vector<DatasetEntry> training_entries(const std::vector<DatasetEntry>& split,
                                           const DataConfig& data) {
  std::vector<DatasetEntry> entries = with_supervision(split, Supervision::kMask);
  if (data.unmasked_per_batch > 0) {
    for (const DatasetEntry& entry : split) {
      if (entry.has_tags() ||
          (entry.supervision == Supervision::kNone && data.unmasked_photos == "all")) {
        entries.push_back(entry);
      }
    }
  }
  return entries;
}

std::vector<float> class_weights(const LossConfig& loss, const fs::path& root) {
  if (loss.class_weights == "none") return {};
  const ClassStatistics stats = read_class_statistics(root / "stats.json");
  const std::vector<double>* chosen = nullptr;
  if (loss.class_weights == "inverse") chosen = &stats.inverse_frequency;
  if (loss.class_weights == "median") chosen = &stats.median_frequency;
  if (loss.class_weights == "enet") chosen = &stats.enet;
  if (loss.class_weights == "original") chosen = &stats.mean_complement;
  if (!chosen) throw_config_error("unknown class weights '" + loss.class_weights + "'");
  return std::vector<float>(chosen->begin(), chosen->end());
}

torch::Tensor cpu_rng_state() {
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void set_cpu_rng_state(const torch::Tensor& state) {
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

/// Everything a run carries from step to step.
struct RunState {
  int64_t epoch = 0;           ///< epochs completed
  int64_t batch_in_epoch = 0;  ///< batches of `epoch` already trained (resume mid-epoch)
  /// Sum of the batch losses and seconds of `epoch` so far: kept in last.fsm so that an epoch
  /// resumed mid-way logs the loss and speed of all its batches, not only the resumed ones.
  double epoch_loss_sum = 0;
  int64_t epoch_loss_batches = 0;
  double epoch_seconds = 0;
  int64_t step = 0;  ///< optimizer steps taken
  double best_miou = -1;
  int64_t validations_without_improvement = 0;
};

class Run {
 public:
  Run(const TrainConfig& config, const TrainerOptions& options)
      : config_(config),
        options_(options),
        run_dir_(config.train.output),
        group_(distributed_env_from_environment()),
        device_(parse_device(config.train.device, "train.device")),
        bf16_(resolve_bf16(config.train.precision,
                           find_model(config.model.type).bf16_helps_training,
                           device_.is_cpu() ? "cpu" : config.train.device, "train.precision")) {}

  TrainSummary execute();

 private:
  /// NHWC tensors: asked for, on the CPU, and bf16 or an architecture that runs faster so.
  bool channels_last() const {
    return config_.train.channels_last && device_.is_cpu() &&
           (bf16_ || find_model(config_.model.type).prefers_channels_last);
  }
  void setup();
  void setup_teacher();
  /// The step's loss: pixels (and aux) on masks, the category head on tags and masks, and
  /// the teacher's pseudo-labels on photos without masks.
  torch::Tensor step_loss(const Batch& batch);
  void restore(const fs::path& path);
  void save(const fs::path& path, bool with_training_state);
  double train_one_epoch(bool& stop, std::string& reason);
  nlohmann::json validate();
  void append_log(const nlohmann::json& entry);

  const TrainConfig& config_;
  const TrainerOptions& options_;
  fs::path run_dir_;
  DataParallelGroup group_;
  torch::Device device_;
  bool bf16_;  ///< forward passes in bf16 autocast (train.precision)
  PreparedDataset dataset_;
  int64_t num_classes_ = 0;
  ModelOptions model_options_;
  ModelPtr model_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::unique_ptr<Loss> loss_;
  std::unique_ptr<Teacher> teacher_;  ///< self-training's teacher, when configured
  std::unique_ptr<DataLoader> train_loader_, val_loader_;
  std::unique_ptr<InferenceEngine> val_engine_;  ///< the inference path, on model_ in memory
  int64_t steps_per_epoch_ = 0, total_steps_ = 0;
  RunState state_;
  std::vector<nlohmann::json> log_;
};

void Run::setup() {
  dataset_ = read_prepared_dataset(config_.data.root);
  num_classes_ = static_cast<int64_t>(dataset_.class_names.size());
  if (with_supervision(dataset_.split(config_.data.train_split), Supervision::kMask).empty()) {
    throw Error(ErrorKind::kConfig, "the training split has no photos with masks",
                Location{config_.data.root, 0, "split " + config_.data.train_split});
  }
  model_options_ = model_options(config_.model, num_classes_);
  torch::manual_seed(config_.train.seed);
  model_ = create_model(config_.model.type, model_options_);
  if (!config_.model.init.empty()) {
    const Checkpoint init = load_checkpoint(config_.model.init);
    LoadStateOptions load_options;
    load_options.reinit_classifier = true;
    load_options.num_classes = num_classes_;
    load_options.source = config_.model.init;
    // Parts a model may gain on trained weights start fresh (or are left out of them): the
    // category head, LR-ASPP's detail decoder (which starts as a zero correction).
    load_options.optional_prefixes = {"category_head.", "detail_decoder."};
    const LoadReport report = load_state(*model_, init.weights, load_options);
    spdlog::info("initialised from {}: {}", config_.model.init, report.summary());
  }
  model_->to(device_);
  spdlog::info("precision {}, {} tensors", bf16_ ? "bf16 (autocast)" : "fp32",
               channels_last() ? "NHWC" : "NCHW");
  if (channels_last()) to_channels_last(*model_);
  group_.broadcast_module(*model_);
  setup_teacher();

  optimizer_ = make_optimizer(config_.optimizer, model_->parameters());
  LossOptions loss_options;
  loss_options.class_weights = class_weights(config_.loss, config_.data.root);
  loss_options.label_smoothing = config_.loss.label_smoothing;
  loss_options.focal_gamma = config_.loss.focal_gamma;
  loss_ = create_loss(config_.loss.type, loss_options, num_classes_);

  LoaderOptions train_options;
  train_options.batch_size = config_.data.batch_size;
  train_options.shuffle = true;
  const std::vector<DatasetEntry> train_entries =
      training_entries(dataset_.split(config_.data.train_split), config_.data);
  const std::vector<DatasetEntry> masked_train =
      with_supervision(train_entries, Supervision::kMask);
  // Drop a ragged last batch in training only when there is more than one batch: a batch of
  // one photo gives BatchNorm useless statistics.
  const int64_t masked_per_batch = config_.data.batch_size - config_.data.unmasked_per_batch;
  train_options.drop_last =
      static_cast<int64_t>(masked_train.size()) > masked_per_batch * group_.world_size();
  train_options.num_classes = num_classes_;
  train_options.unmasked_per_batch = config_.data.unmasked_per_batch;
  train_options.two_views = config_.data.two_views;
  train_options.workers = static_cast<int>(config_.data.workers);
  train_options.prefetch_batches = static_cast<int>(config_.data.prefetch);
  train_options.seed = config_.train.seed;
  train_options.rank = group_.rank();
  train_options.world_size = group_.world_size();
  train_options.train = true;
  train_options.transform = train_transform_options(config_.data);
  train_options.channels_last = channels_last();
  if (config_.data.oversample > 0) {
    train_options.sample_weights =
        rare_class_sample_weights(masked_train, num_classes_, config_.data.oversample,
                                  static_cast<int>(config_.data.workers));
    // Photos without masks come after the masked ones, drawn from their own pool.
    train_options.sample_weights.resize(train_entries.size(), 1.0);
  }
  train_loader_ = std::make_unique<DataLoader>(loader_samples(train_entries), train_options);

  // Pixel metrics need masks: photos without them are left to category metrics.
  const std::vector<DatasetEntry> val_entries =
      with_supervision(dataset_.split(config_.data.val_split), Supervision::kMask);
  if (config_.train.val_every > 0 && !val_entries.empty()) {
    LoaderOptions val_options = train_options;
    val_options.shuffle = false;
    val_options.drop_last = false;
    val_options.train = false;
    val_options.sample_weights.clear();
    val_options.unmasked_per_batch = 0;
    val_options.two_views = false;
    // Validation runs on rank 0 over the whole split: every photo counted exactly once.
    val_options.rank = 0;
    val_options.world_size = 1;
    val_options.transform = eval_transform_options(config_.data);
    val_loader_ = std::make_unique<DataLoader>(loader_samples(val_entries), val_options);
    // Validation segments through the same engine as predict, at the training box's size.
    EngineModel engine_model;
    engine_model.model = model_;
    engine_model.preprocessing.input_height = config_.data.crop_height;
    engine_model.preprocessing.input_width = config_.data.crop_width;
    engine_model.preprocessing.normalization = val_options.normalization;
    engine_model.class_names = dataset_.class_names;
    engine_model.device = device_;
    engine_model.channels_last = channels_last();
    // Validation scores what predict would write: the inference verdict on bf16, which differs
    // from the training one for some models (model_registry.h).
    engine_model.bf16 =
        resolve_bf16(config_.train.precision, find_model(config_.model.type).bf16_helps,
                     device_.is_cpu() ? "cpu" : config_.train.device, "train.precision");
    val_engine_ = std::make_unique<InferenceEngine>(std::move(engine_model));
  }

  const int64_t batches = train_loader_->num_batches();
  if (batches == 0) throw_config_error("data.batch_size is larger than the training split");
  steps_per_epoch_ = (batches + config_.train.accumulate - 1) / config_.train.accumulate;
  total_steps_ = steps_per_epoch_ * config_.train.epochs;
  if (config_.train.max_iters > 0) total_steps_ = std::min(total_steps_, config_.train.max_iters);
}

void Run::setup_teacher() {
  const SelfTrainingConfig& st = config_.self_training;
  if (st.teacher == "none") return;
  ModelPtr teacher;
  std::string architecture = config_.model.type;
  if (st.teacher == "ema") {
    // The mean teacher starts as the student (after init); resume replaces it with its own.
    teacher = create_model(config_.model.type, model_options_);
    load_state(*teacher, named_state(*model_), LoadStateOptions{});
  } else {
    LoadedModel fixed = load_model(st.teacher_checkpoint);
    // Only its pixel logits are used: they must mean the dataset's classes.
    if (fixed.checkpoint.class_names != dataset_.class_names) {
      throw Error(ErrorKind::kConfig, "the teacher's classes differ from the dataset's",
                  Location{st.teacher_checkpoint, 0, ""},
                  "use a teacher trained on the same label space");
    }
    teacher = fixed.model;
    architecture = fixed.checkpoint.architecture;
  }
  teacher->to(device_);
  if (config_.train.channels_last && device_.is_cpu() &&
      (bf16_ || find_model(architecture).prefers_channels_last)) {
    to_channels_last(*teacher);
  }
  teacher_ = std::make_unique<Teacher>(std::move(teacher), st.teacher == "ema", st.teacher_flip);
}

torch::Tensor Run::step_loss(const Batch& batch) {
  const torch::Tensor masks = batch.masks.to(device_);
  // With two views the student sees the strong one (equal to the weak one on masked rows).
  const torch::Tensor images =
      (batch.strong_images.defined() ? batch.strong_images : batch.images).to(device_);
  ModelOutput output;
  torch::Tensor pseudo;
  {
    // Forward passes under autocast; the losses below read fp32 logits.
    const CpuBf16Autocast autocast(bf16_);
    output = model_->forward_all(images);
    if (teacher_) {
      const SelfTrainingConfig& st = config_.self_training;
      pseudo = teacher_->pseudo_labels(batch.images.to(device_), batch.tags, batch.has_tags,
                                       batch.has_mask, st.threshold, st.filter_by_tags);
    }
  }
  for (torch::Tensor* logits : {&output.out, &output.aux, &output.categories}) {
    if (logits->defined()) *logits = logits->to(torch::kFloat);
  }
  torch::Tensor loss = (*loss_)(output.out, masks);
  if (output.aux.defined() && config_.loss.aux_weight > 0) {
    loss = loss + config_.loss.aux_weight * (*loss_)(output.aux, masks);
  }
  if (output.categories.defined() && config_.loss.category_weight > 0) {
    // Masked photos: the classes their masks show; tagged photos: their tags.
    const torch::Tensor has_mask = batch.has_mask.to(device_).unsqueeze(1);
    const torch::Tensor has_tags = batch.has_tags.to(device_).unsqueeze(1);
    const torch::Tensor from_masks =
        category_targets_from_masks(masks, num_classes_, config_.loss.category_min_area);
    const torch::Tensor targets =
        torch::where(has_mask, from_masks.to(device_), batch.tags.to(device_));
    const torch::Tensor weights =
        (has_mask | has_tags).to(torch::kFloat).expand({-1, num_classes_});
    loss = loss + config_.loss.category_weight *
                      category_loss(output.categories, targets, weights.contiguous());
  }
  if (teacher_) {
    const SelfTrainingConfig& st = config_.self_training;
    const auto ramp_steps = static_cast<int64_t>(
        std::llround(st.rampup_epochs * static_cast<double>(steps_per_epoch_)));
    const double weight = rampup_weight(state_.step, ramp_steps, st.weight);
    // A batch whose pseudo-labels are all below the threshold adds nothing (and no NaN).
    if (weight > 0 && (pseudo != 255).any().item<bool>()) {
      namespace F = torch::nn::functional;
      loss = loss + weight * F::cross_entropy(output.out, pseudo,
                                              F::CrossEntropyFuncOptions().ignore_index(255));
    }
  }
  return loss;
}

void Run::save(const fs::path& path, bool with_training_state) {
  if (!group_.is_main()) return;
  Checkpoint checkpoint =
      make_checkpoint(config_.model.type, model_options_, *model_, dataset_.class_names);
  checkpoint.preprocessing.input_height = config_.data.crop_height;
  checkpoint.preprocessing.input_width = config_.data.crop_width;
  checkpoint.provenance.config_text = to_yaml(config_);
  checkpoint.provenance.epoch = state_.epoch;
  checkpoint.provenance.source = "fashionseg train " + config_.data.root;
  if (with_training_state) {
    auto& training = checkpoint.training;
    training.blobs["optimizer"] = save_optimizer_state(*optimizer_);
    training.tensors["rng.cpu"] = cpu_rng_state();
    training.numbers["epoch"] = static_cast<double>(state_.epoch);
    training.numbers["batch_in_epoch"] = static_cast<double>(state_.batch_in_epoch);
    training.numbers["epoch_loss_sum"] = state_.epoch_loss_sum;
    training.numbers["epoch_loss_batches"] = static_cast<double>(state_.epoch_loss_batches);
    training.numbers["epoch_seconds"] = state_.epoch_seconds;
    training.numbers["step"] = static_cast<double>(state_.step);
    training.numbers["best_miou"] = state_.best_miou;
    training.numbers["validations_without_improvement"] =
        static_cast<double>(state_.validations_without_improvement);
    if (teacher_) teacher_->save(training);
  }
  save_checkpoint(checkpoint, path);
}

void Run::restore(const fs::path& path) {
  const Checkpoint checkpoint = load_checkpoint(path);
  if (checkpoint.architecture != config_.model.type) {
    throw Error(ErrorKind::kConfig,
                "the run was started with model '" + checkpoint.architecture +
                    "', the config now says '" + config_.model.type + "'",
                Location{path.string(), 0, ""});
  }
  const auto& training = checkpoint.training;
  if (!training.blobs.count("optimizer") || !training.numbers.count("epoch")) {
    throw Error(ErrorKind::kInput, "checkpoint has no training state to resume from",
                Location{path.string(), 0, ""});
  }
  LoadStateOptions load_options;
  load_options.source = path.string();
  load_state(*model_, checkpoint.weights, load_options);
  load_optimizer_state(*optimizer_, training.blobs.at("optimizer"));
  if (training.tensors.count("rng.cpu")) set_cpu_rng_state(training.tensors.at("rng.cpu"));
  if (teacher_) teacher_->restore(training, path.string());
  state_.epoch = static_cast<int64_t>(training.numbers.at("epoch"));
  state_.batch_in_epoch = static_cast<int64_t>(training.numbers.at("batch_in_epoch"));
  // Absent from checkpoints written before they were kept: the epoch's log then covers the
  // resumed batches only, as it did then.
  const auto number_or_zero = [&](const char* name) {
    const auto found = training.numbers.find(name);
    return found == training.numbers.end() ? 0.0 : found->second;
  };
  state_.epoch_loss_sum = number_or_zero("epoch_loss_sum");
  state_.epoch_loss_batches = static_cast<int64_t>(number_or_zero("epoch_loss_batches"));
  state_.epoch_seconds = number_or_zero("epoch_seconds");
  state_.step = static_cast<int64_t>(training.numbers.at("step"));
  state_.best_miou = training.numbers.at("best_miou");
  state_.validations_without_improvement =
      static_cast<int64_t>(training.numbers.at("validations_without_improvement"));
}

double Run::train_one_epoch(bool& stop, std::string& reason) {
  model_->train();
  train_loader_->set_epoch(state_.epoch);
  // Resuming mid-epoch: the loader is deterministic per (seed, epoch), so skipping the
  // batches already trained reproduces the rest of the epoch exactly.
  for (int64_t i = 0; i < state_.batch_in_epoch; ++i) train_loader_->next();
  if (options_.progress) {
    options_.progress->start(
        "epoch " + std::to_string(state_.epoch + 1) + "/" + std::to_string(config_.train.epochs),
        static_cast<size_t>(train_loader_->num_batches()));
    if (state_.batch_in_epoch > 0) options_.progress->advance(state_.batch_in_epoch);
  }
  const int64_t batches = train_loader_->num_batches();
  optimizer_->zero_grad();
  while (auto batch = train_loader_->next()) {
    const double lr = learning_rate_at(config_.schedule, config_.optimizer.lr, state_.step,
                                       total_steps_, steps_per_epoch_);
    set_learning_rate(*optimizer_, lr);
    const torch::Tensor loss = step_loss(*batch);
    const double value = loss.item<double>();
    if (!std::isfinite(value)) {
      throw Error(ErrorKind::kInput,
                  "the loss became " + std::string(std::isnan(value) ? "NaN" : "infinite") +
                      " at epoch " + std::to_string(state_.epoch + 1) + ", step " +
                      std::to_string(state_.step),
                  Location{run_dir_.string(), 0, ""},
                  "last.fsm keeps the last good state; lower optimizer.lr or set "
                  "train.grad_clip");
    }
    (loss / static_cast<double>(config_.train.accumulate)).backward();
    state_.epoch_loss_sum += value;
    ++state_.epoch_loss_batches;
    ++state_.batch_in_epoch;
    const bool last_batch = state_.batch_in_epoch == batches;
    if (state_.batch_in_epoch % config_.train.accumulate == 0 || last_batch) {
      group_.average_gradients(*model_);
      if (config_.train.grad_clip > 0) {
        torch::nn::utils::clip_grad_norm_(model_->parameters(), config_.train.grad_clip);
      }
      optimizer_->step();
      optimizer_->zero_grad();
      ++state_.step;
      if (teacher_) teacher_->follow(*model_, config_.self_training.ema_decay);
    }
    if (options_.progress) {
      options_.progress->advance(1, fmt::format("loss {:.4f} lr {:.2e}", value, lr));
    }
    if (config_.train.max_iters > 0 && state_.step >= config_.train.max_iters) {
      stop = true;
      reason = "max_iters";
      break;
    }
    if (options_.stop_requested && options_.stop_requested->load()) {
      stop = true;
      reason = "interrupted";
      break;
    }
  }
  if (options_.progress) options_.progress->finish();
  return state_.epoch_loss_batches > 0
             ? state_.epoch_loss_sum / static_cast<double>(state_.epoch_loss_batches)
             : 0.0;
}

nlohmann::json Run::validate() {
  torch::Tensor miou = torch::zeros({1}, torch::kFloat64);
  nlohmann::json summary;
  if (group_.is_main()) {
    model_->eval();
    const EvaluationResult result =
        evaluate_batches(*val_engine_, *val_loader_, EvaluationOptions{}, options_.progress);
    const nlohmann::json metrics =
        metrics_to_json(result.matrix, result.categories, dataset_.class_names);
    summary = metrics_summary_json(metrics);
    miou[0] = metrics.at("mean_iou").is_number() ? metrics.at("mean_iou").get<double>() : 0.0;
    if (miou[0].item<double>() > state_.best_miou) {
      write_file_atomic(run_dir_ / "best_metrics.json", json_text(metrics, 2));
    }
  }
  group_.sum(miou);  // share rank 0's score: every rank takes the same early-stop decision
  const double score = miou[0].item<double>();
  if (score > state_.best_miou) {
    state_.best_miou = score;
    state_.validations_without_improvement = 0;
    save(run_dir_ / "best.fsm", false);
  } else {
    ++state_.validations_without_improvement;
  }
  model_->train();
  return summary;
}

void Run::append_log(const nlohmann::json& entry) {
  log_.push_back(entry);
  if (!group_.is_main()) return;
  std::string text;
  for (const auto& line : log_) text += json_text(line) + "\n";
  write_file_atomic(run_dir_ / "log.jsonl", text);
}

TrainSummary Run::execute() {
  setup();
  const fs::path last = run_dir_ / "last.fsm";
  if (options_.resume) {
    restore(last);
    // Keep the log lines of the epochs the checkpoint has completed.
    if (fs::exists(run_dir_ / "log.jsonl")) {
      std::istringstream lines(read_file(run_dir_ / "log.jsonl"));
      std::string line;
      while (std::getline(lines, line)) {
        if (line.empty()) continue;
        auto entry = nlohmann::json::parse(line, nullptr, false);
        if (!entry.is_discarded() && entry.value("epoch", int64_t{0}) <= state_.epoch) {
          log_.push_back(entry);
        }
      }
    }
    spdlog::info("resuming {} at epoch {}, batch {}, step {}", last.string(), state_.epoch + 1,
                 state_.batch_in_epoch, state_.step);
  } else if (group_.is_main() && fs::exists(last)) {
    throw Error(ErrorKind::kConfig, "the run directory already holds a run",
                Location{run_dir_.string(), 0, ""},
                "pass --resume to continue it, or choose another train.output");
  }
  if (group_.is_main()) write_file_atomic(run_dir_ / "config.yaml", to_yaml(config_));

  TrainSummary summary;
  summary.run_dir = run_dir_;
  std::string reason = "completed";
  bool stop = false;
  while (!stop && state_.epoch < config_.train.epochs) {
    const auto start = Clock::now();
    const double train_loss = train_one_epoch(stop, reason);
    summary.last_train_loss = train_loss;
    state_.epoch_seconds += std::chrono::duration<double>(Clock::now() - start).count();
    if (stop && reason == "interrupted") {
      save(last, true);  // mid-epoch: batch_in_epoch tells resume where to continue
      break;
    }
    const double seconds = state_.epoch_seconds;
    const int64_t images = state_.batch_in_epoch * config_.data.batch_size * group_.world_size();
    ++state_.epoch;
    state_.batch_in_epoch = 0;
    state_.epoch_loss_sum = 0;
    state_.epoch_loss_batches = 0;
    state_.epoch_seconds = 0;
    nlohmann::json entry = {{"epoch", state_.epoch},
                            {"step", state_.step},
                            {"lr", optimizer_->param_groups()[0].options().get_lr()},
                            {"train_loss", train_loss},
                            {"seconds", seconds},
                            {"images_per_second", seconds > 0 ? images / seconds : 0.0}};
    const bool last_epoch = stop || state_.epoch == config_.train.epochs;
    if (val_loader_ && (state_.epoch % config_.train.val_every == 0 || last_epoch)) {
      entry["val"] = validate();
    }
    append_log(entry);
    spdlog::info("epoch {}/{}: loss {:.4f}{} ({:.1f} s)", state_.epoch, config_.train.epochs,
                 train_loss,
                 entry.contains("val")
                     ? fmt::format(", val mIoU {:.4f}", entry["val"].value("mean_iou", 0.0))
                     : std::string(),
                 seconds);
    if (state_.epoch % config_.train.checkpoint_every == 0 || last_epoch) save(last, true);
    if (config_.train.early_stop > 0 &&
        state_.validations_without_improvement >= config_.train.early_stop) {
      reason = "early_stop";
      if (!last_epoch) save(last, true);
      break;
    }
  }
  group_.barrier();
  summary.epochs_completed = state_.epoch;
  summary.steps = state_.step;
  summary.best_miou = state_.best_miou;
  summary.stop_reason = reason;
  return summary;
}

}  // namespace

TrainSummary train_model(const TrainConfig& config, const TrainerOptions& options) {
  validate_train_config(config);
  Run run(config, options);
  return run.execute();
}

}  // namespace fashionseg
