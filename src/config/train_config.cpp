#include "fashionseg/data/train_config.h"

#include <yaml-cpp/yaml.h>

#include <functional>
#include <set>

#include "fashionseg/core/error.h"
#include "fashionseg/core/files.h"

namespace fashionseg {
namespace {

// One list of fields, visited by a reader and a writer, so parsing and printing cannot drift.
template <class Visitor>
void visit(Visitor& v, TrainConfig& c) {
  v.section("model", [&] {
    v.field("type", c.model.type);
    visit_model_knobs(c.model.options,
                      [&](const char* knob, auto& value) { v.field(knob, value); });
    v.field("init", c.model.init);
  });
  v.section("data", [&] {
    v.field("root", c.data.root);
    v.field("train_split", c.data.train_split);
    v.field("val_split", c.data.val_split);
    v.field("crop_width", c.data.crop_width);
    v.field("crop_height", c.data.crop_height);
    v.field("short_side", c.data.short_side);
    v.field("scale_min", c.data.scale_min);
    v.field("scale_max", c.data.scale_max);
    v.field("flip", c.data.flip);
    v.field("brightness", c.data.brightness);
    v.field("contrast", c.data.contrast);
    v.field("saturation", c.data.saturation);
    v.field("hue", c.data.hue);
    v.field("batch_size", c.data.batch_size);
    v.field("workers", c.data.workers);
    v.field("prefetch", c.data.prefetch);
    v.field("oversample", c.data.oversample);
    v.field("unmasked_per_batch", c.data.unmasked_per_batch);
    v.field("unmasked_photos", c.data.unmasked_photos);
    v.field("two_views", c.data.two_views);
    v.field("zoom", c.data.zoom);
    v.field("zoom_min", c.data.zoom_min);
    v.field("zoom_max", c.data.zoom_max);
    v.field("zoom_upper", c.data.zoom_upper);
    v.field("background", c.data.background);
    v.field("background_photo", c.data.background_photo);
    v.field("grayscale", c.data.grayscale);
    v.field("blur", c.data.blur);
    v.field("blur_sigma", c.data.blur_sigma);
    v.field("jpeg", c.data.jpeg);
    v.field("jpeg_quality", c.data.jpeg_quality);
    v.field("gamma", c.data.gamma);
    v.field("color_cast", c.data.color_cast);
    v.field("cutout", c.data.cutout);
  });
  v.section("loss", [&] {
    v.field("type", c.loss.type);
    v.field("class_weights", c.loss.class_weights);
    v.field("label_smoothing", c.loss.label_smoothing);
    v.field("focal_gamma", c.loss.focal_gamma);
    v.field("aux_weight", c.loss.aux_weight);
    v.field("category_weight", c.loss.category_weight);
    v.field("category_min_area", c.loss.category_min_area);
  });
  v.section("optimizer", [&] {
    v.field("type", c.optimizer.type);
    v.field("lr", c.optimizer.lr);
    v.field("momentum", c.optimizer.momentum);
    v.field("nesterov", c.optimizer.nesterov);
    v.field("beta1", c.optimizer.beta1);
    v.field("beta2", c.optimizer.beta2);
    v.field("weight_decay", c.optimizer.weight_decay);
  });
  v.section("schedule", [&] {
    v.field("type", c.schedule.type);
    v.field("warmup_iters", c.schedule.warmup_iters);
    v.field("warmup_factor", c.schedule.warmup_factor);
    v.field("power", c.schedule.power);
    v.field("step_epochs", c.schedule.step_epochs);
    v.field("gamma", c.schedule.gamma);
    v.field("min_lr", c.schedule.min_lr);
  });
  v.section("train", [&] {
    v.field("epochs", c.train.epochs);
    v.field("max_iters", c.train.max_iters);
    v.field("val_every", c.train.val_every);
    v.field("checkpoint_every", c.train.checkpoint_every);
    v.field("early_stop", c.train.early_stop);
    v.field("grad_clip", c.train.grad_clip);
    v.field("accumulate", c.train.accumulate);
    v.field("seed", c.train.seed);
    v.field("device", c.train.device);
    v.field("amp", c.train.amp);
    v.field("channels_last", c.train.channels_last);
    v.field("precision", c.train.precision);
    v.field("output", c.train.output);
  });
  v.section("self_training", [&] {
    v.field("teacher", c.self_training.teacher);
    v.field("teacher_checkpoint", c.self_training.teacher_checkpoint);
    v.field("ema_decay", c.self_training.ema_decay);
    v.field("threshold", c.self_training.threshold);
    v.field("weight", c.self_training.weight);
    v.field("rampup_epochs", c.self_training.rampup_epochs);
    v.field("teacher_flip", c.self_training.teacher_flip);
    v.field("filter_by_tags", c.self_training.filter_by_tags);
  });
}

template <class T>
const char* type_name() {
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  if constexpr (std::is_integral_v<T>) return "an integer";
  if constexpr (std::is_floating_point_v<T>) return "a number";
  return "a string";
}

/// Reads fields from a YAML tree, rejecting unknown keys and wrong types.
class Reader {
 public:
  Reader(const YAML::Node& root, std::string source) : root_(root), source_(std::move(source)) {
    if (root_.IsNull()) return;
    if (!root_.IsMap()) fail(root_, "", "the configuration must be a mapping of sections");
    refuse_duplicate_keys(root_, "");
  }

  void section(const char* name, const std::function<void()>& body) {
    known_sections_.insert(name);
    section_name_ = name;
    current_ = root_.IsMap() ? root_[name] : YAML::Node();
    if (current_ && !current_.IsNull() && !current_.IsMap()) {
      fail(current_, name, "must be a mapping of keys");
    }
    known_keys_.clear();
    body();
    if (current_ && current_.IsMap()) {
      for (const auto& entry : current_) {
        const std::string key = entry.first.as<std::string>();
        if (!known_keys_.count(key)) {
          fail(entry.first, section_name_ + "." + key, "unknown key",
               "valid keys: " + join(known_keys_));
        }
      }
    }
  }

  template <class T>
  void field(const char* key, T& value) {
    known_keys_.insert(key);
    if (!current_ || !current_.IsMap()) return;
    const YAML::Node node = current_[key];
    if (!node) return;
    const std::string dotted = section_name_ + "." + key;
    if (!node.IsScalar()) fail(node, dotted, std::string("expected ") + type_name<T>());
    try {
      value = node.as<T>();
    } catch (const YAML::Exception&) {
      fail(node, dotted,
           std::string("expected ") + type_name<T>() + ", got '" + node.Scalar() + "'");
    }
  }

  void finish() {
    if (!root_.IsMap()) return;
    for (const auto& entry : root_) {
      const std::string name = entry.first.as<std::string>();
      if (!known_sections_.count(name)) {
        fail(entry.first, name, "unknown section", "valid sections: " + join(known_sections_));
      }
    }
  }

 private:
  /// yaml-cpp keeps both entries of a repeated key and reads the first: say so instead.
  void refuse_duplicate_keys(const YAML::Node& node, const std::string& path) const {
    if (!node.IsMap()) return;
    std::set<std::string> seen;
    for (const auto& entry : node) {
      const std::string key = entry.first.Scalar();
      const std::string dotted = path.empty() ? key : path + "." + key;
      if (!seen.insert(key).second) fail(entry.first, dotted, "the key is given twice");
      refuse_duplicate_keys(entry.second, dotted);
    }
  }

  static std::string join(const std::set<std::string>& names) {
    std::string text;
    for (const auto& n : names) text += (text.empty() ? "" : ", ") + n;
    return text;
  }

  [[noreturn]] void fail(const YAML::Node& node, const std::string& key, const std::string& what,
                         const std::string& hint = {}) const {
    const auto mark = node.Mark();
    const size_t line = mark.line >= 0 ? static_cast<size_t>(mark.line + 1) : 0;
    throw Error(ErrorKind::kConfig, what, Location{source_, line, key}, hint);
  }

  YAML::Node root_;
  std::string source_;
  YAML::Node current_;
  std::string section_name_;
  std::set<std::string> known_sections_, known_keys_;
};

/// Writes every field as YAML.
class Writer {
 public:
  void section(const char* name, const std::function<void()>& body) {
    out_ << YAML::Key << name << YAML::Value << YAML::BeginMap;
    body();
    out_ << YAML::EndMap;
  }
  template <class T>
  void field(const char* key, T& value) {
    if constexpr (std::is_floating_point_v<T>) {
      out_ << YAML::Key << key << YAML::Value << YAML::Precision(17) << value;
    } else {
      out_ << YAML::Key << key << YAML::Value << value;
    }
  }
  YAML::Emitter& out() { return out_; }

 private:
  YAML::Emitter out_;
};

void apply_override(YAML::Node& root, const std::string& assignment) {
  const size_t equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw_config_error("override '" + assignment + "' must look like section.key=value");
  }
  const std::string path = assignment.substr(0, equals);
  const size_t dot = path.find('.');
  if (dot == std::string::npos || path.find('.', dot + 1) != std::string::npos) {
    throw_config_error("override '" + assignment + "': the key must be section.key");
  }
  // An empty file becomes a mapping; anything else that is not one stays and is refused.
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) {
    throw_config_error("override '" + assignment +
                       "': the configuration must be a mapping of sections");
  }
  YAML::Node section = root[path.substr(0, dot)];
  try {
    section[path.substr(dot + 1)] = YAML::Load(assignment.substr(equals + 1));
  } catch (const YAML::Exception& e) {
    throw_config_error("override '" + assignment + "': " + e.msg);
  }
}

void require(bool ok, const std::string& key, const std::string& what) {
  if (!ok) throw Error(ErrorKind::kConfig, what, Location{"", 0, key});
}

void require_choice(const std::string& value, const std::string& key,
                    std::initializer_list<const char*> choices) {
  std::string list;
  for (const char* choice : choices) {
    if (value == choice) return;
    list += (list.empty() ? "" : ", ") + std::string(choice);
  }
  throw Error(ErrorKind::kConfig, "'" + value + "' is not one of: " + list, Location{"", 0, key});
}

}  // namespace

TrainConfig parse_train_config(const std::string& yaml_text, const std::string& source,
                               const std::vector<std::string>& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    throw Error(ErrorKind::kConfig, "invalid YAML: " + e.msg,
                Location{source, static_cast<size_t>(e.mark.line + 1), ""});
  }
  for (const auto& assignment : overrides) apply_override(root, assignment);
  TrainConfig config;
  Reader reader(root, source);
  visit(reader, config);
  reader.finish();
  validate_train_config(config);
  return config;
}

TrainConfig load_train_config(const std::filesystem::path& path,
                              const std::vector<std::string>& overrides) {
  return parse_train_config(read_file(path), path.string(), overrides);
}

std::string to_yaml(const TrainConfig& config) {
  TrainConfig copy = config;
  Writer writer;
  writer.out() << YAML::BeginMap;
  visit(writer, copy);
  writer.out() << YAML::EndMap;
  return std::string(writer.out().c_str()) + "\n";
}

void validate_train_config(const TrainConfig& c) {
  require(!c.model.type.empty(), "model.type", "must name a model");
  const ModelOptions& m = c.model.options;
  require(m.base_width >= 1, "model.base_width", "must be >= 1");
  require(m.width_multiplier > 0, "model.width_multiplier", "must be > 0");
  require(m.output_stride == 8 || m.output_stride == 16, "model.output_stride", "must be 8 or 16");
  require(m.dropout < 1, "model.dropout", "must be < 1");
  require(c.data.crop_width >= 1 && c.data.crop_height >= 1, "data.crop_width",
          "crop sizes must be >= 1");
  require(c.data.scale_min > 0 && c.data.scale_min <= c.data.scale_max, "data.scale_min",
          "need 0 < scale_min <= scale_max");
  require(c.data.flip >= 0 && c.data.flip <= 1, "data.flip", "must be a probability");
  require(c.data.hue >= 0 && c.data.hue <= 0.5, "data.hue", "must be in [0, 0.5]");
  require(c.data.crop_width <= 16384 && c.data.crop_height <= 16384, "data.crop_width",
          "crop sizes must be <= 16384");
  require(c.data.batch_size >= 1 && c.data.batch_size <= 65536, "data.batch_size",
          "must be in [1, 65536]");
  require(c.data.workers >= 1 && c.data.workers <= 1024, "data.workers", "must be in [1, 1024]");
  require(c.data.prefetch >= 1 && c.data.prefetch <= 1024, "data.prefetch", "must be in [1, 1024]");
  require(c.data.oversample >= 0 && c.data.oversample <= 1, "data.oversample", "must be in [0, 1]");
  require(c.data.unmasked_per_batch >= 0 && c.data.unmasked_per_batch < c.data.batch_size,
          "data.unmasked_per_batch", "must lie in [0, batch_size)");
  require_choice(c.data.unmasked_photos, "data.unmasked_photos", {"all", "tagged"});
  for (const auto& [key, p] : {std::pair<const char*, double>{"data.zoom", c.data.zoom},
                               {"data.zoom_upper", c.data.zoom_upper},
                               {"data.background", c.data.background},
                               {"data.background_photo", c.data.background_photo},
                               {"data.grayscale", c.data.grayscale},
                               {"data.blur", c.data.blur},
                               {"data.jpeg", c.data.jpeg}}) {
    require(p >= 0 && p <= 1, key, "must be a probability in [0, 1]");
  }
  require(c.data.zoom_min > 0 && c.data.zoom_min <= c.data.zoom_max, "data.zoom_min",
          "need 0 < zoom_min <= zoom_max");
  require(c.data.blur_sigma >= 0.5, "data.blur_sigma", "must be >= 0.5");
  require(c.data.jpeg_quality >= 1 && c.data.jpeg_quality <= 95, "data.jpeg_quality",
          "must lie in [1, 95]");
  require(c.data.gamma >= 0, "data.gamma", "must be >= 0");
  require(c.data.color_cast >= 0 && c.data.color_cast < 1, "data.color_cast", "must lie in [0, 1)");
  require(c.data.cutout >= 0, "data.cutout", "must be >= 0");
  require_choice(c.loss.class_weights, "loss.class_weights",
                 {"none", "inverse", "median", "enet", "original"});
  require(c.loss.aux_weight >= 0, "loss.aux_weight", "must be >= 0");
  require(c.loss.category_weight >= 0, "loss.category_weight", "must be >= 0");
  require(c.loss.category_min_area >= 0 && c.loss.category_min_area < 1, "loss.category_min_area",
          "must lie in [0, 1)");
  const SelfTrainingConfig& st = c.self_training;
  require_choice(st.teacher, "self_training.teacher", {"none", "ema", "checkpoint"});
  require(st.teacher != "checkpoint" || !st.teacher_checkpoint.empty(),
          "self_training.teacher_checkpoint", "must name the teacher's .fsm file");
  require(st.teacher == "none" || c.data.unmasked_per_batch > 0, "self_training.teacher",
          "needs photos without masks in each batch (data.unmasked_per_batch > 0)");
  require(st.ema_decay >= 0 && st.ema_decay < 1, "self_training.ema_decay", "must lie in [0, 1)");
  require(st.threshold >= 0 && st.threshold <= 1, "self_training.threshold",
          "must be a probability in [0, 1]");
  require(st.weight >= 0, "self_training.weight", "must be >= 0");
  require(st.rampup_epochs >= 0, "self_training.rampup_epochs", "must be >= 0");
  require_choice(c.optimizer.type, "optimizer.type", {"sgd", "adam", "adamw"});
  require(c.optimizer.lr > 0, "optimizer.lr", "must be > 0");
  require(c.optimizer.weight_decay >= 0, "optimizer.weight_decay", "must be >= 0");
  require_choice(c.schedule.type, "schedule.type", {"poly", "cosine", "step", "constant"});
  require(c.schedule.warmup_iters >= 0, "schedule.warmup_iters", "must be >= 0");
  require(c.schedule.step_epochs >= 1, "schedule.step_epochs", "must be >= 1");
  require(c.train.epochs >= 1, "train.epochs", "must be >= 1");
  require(c.train.max_iters >= 0, "train.max_iters", "must be >= 0");
  require(c.train.val_every >= 0, "train.val_every", "must be >= 0");
  require(c.train.checkpoint_every >= 1, "train.checkpoint_every", "must be >= 1");
  require(c.train.accumulate >= 1, "train.accumulate", "must be >= 1");
  require(c.train.grad_clip >= 0, "train.grad_clip", "must be >= 0");
  require(c.train.device == "cpu" || c.train.device.rfind("cuda", 0) == 0, "train.device",
          "must be cpu, cuda or cuda:N");
  require(!c.train.amp, "train.amp", "mixed precision needs CUDA, which this build lacks");
  require_choice(c.train.precision, "train.precision", {"fp32", "bf16", "auto"});
  require(!c.train.output.empty(), "train.output", "must name a directory");
  require(!c.data.root.empty(), "data.root",
          "must name the prepared dataset (a 'data' section with 'root', or --data DIR)");
}

}  // namespace fashionseg
