// Checkpoint files: a PyTorch zip archive of one dict
//   {"format": "fashionseg.checkpoint", "format_version": 1, "metadata": "<JSON text>",
//    "weights": {name: tensor}, "training": {"blobs": {name: uint8 tensor},
//    "tensors": {name: tensor}, "numbers": {name: float}, "texts": {name: str}}}
// so Python can inspect it with torch.load, and C++ reads it with torch::pickle_load.
#include "fashionseg/torch/checkpoint.h"

#include <torch/serialize.h>
#include <torch/torch.h>

#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "fashionseg/core/error.h"
#include "fashionseg/core/files.h"
#include "fashionseg/core/version.h"
#include "models/torch_archive.h"

namespace fashionseg {
namespace {

using json = nlohmann::json;
using GenericDict = c10::Dict<std::string, torch::IValue>;

GenericDict make_generic_dict() {
  return c10::impl::toTypedDict<std::string, torch::IValue>(
      c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get()));
}

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

torch::Tensor cpu_copy(const torch::Tensor& tensor) {
  return tensor.detach().to(torch::kCPU).contiguous().clone();
}

torch::Tensor bytes_to_tensor(const std::string& bytes) {
  torch::Tensor out = torch::empty({static_cast<int64_t>(bytes.size())}, torch::kUInt8);
  if (!bytes.empty()) std::memcpy(out.data_ptr(), bytes.data(), bytes.size());
  return out;
}

std::string tensor_to_bytes(const torch::Tensor& tensor) {
  const torch::Tensor flat = tensor.to(torch::kCPU).contiguous();
  return std::string(static_cast<const char*>(flat.data_ptr()), flat.nbytes());
}

json metadata_json(const Checkpoint& checkpoint, bool half_weights) {
  const auto& pre = checkpoint.preprocessing;
  const auto& prov = checkpoint.provenance;
  json meta{
      {"architecture", checkpoint.architecture},
      {"model_options", json::parse(model_options_to_json(checkpoint.options))},
      {"class_names", checkpoint.class_names},
      {"preprocessing",
       {{"input_height", pre.input_height},
        {"input_width", pre.input_width},
        {"mean", pre.normalization.mean},
        {"std", pre.normalization.std}}},
      {"provenance",
       {{"fashionseg_version", prov.fashionseg_version.empty() ? std::string(FASHIONSEG_VERSION)
                                                               : prov.fashionseg_version},
        {"created_utc", prov.created_utc.empty() ? utc_now_iso8601() : prov.created_utc},
        {"config_text", prov.config_text},
        {"epoch", prov.epoch},
        {"source", prov.source}}},
      {"weights_dtype", half_weights ? "float16" : "float32"},
  };
  if (checkpoint.category_rule.num_classes() > 0) {
    meta["category_rule"] = category_rule_to_json(checkpoint.category_rule);
  }
  return meta;
}

// Looks up `key` in a dict read from a file or throws an error that names the file.
const torch::IValue& require_entry(const c10::impl::GenericDict& dict, const std::string& key,
                                   const Location& where) {
  const auto found = dict.find(torch::IValue(key));
  if (found == dict.end()) throw_input_error("checkpoint has no '" + key + "' entry", where);
  return found->value();
}

// A dict read from a file, checked to have string keys (whatever its value type).
c10::impl::GenericDict require_dict(const torch::IValue& value, const std::string& what,
                                    const Location& where) {
  if (!value.isGenericDict()) {
    throw_input_error("checkpoint entry '" + what + "' is not a dict", where);
  }
  c10::impl::GenericDict dict = value.toGenericDict();
  for (const auto& entry : dict) {
    if (!entry.key().isString()) {
      throw_input_error("checkpoint entry '" + what + "' has a key that is not text", where);
    }
  }
  return dict;
}

constexpr const char* kForeignHint =
    "this is not a fashionseg checkpoint (.fsm); plain PyTorch weights are converted with "
    "`fashionseg import-weights`";

Checkpoint checkpoint_from_value(const torch::IValue& value, const Location& where);

void parse_metadata(const std::string& text, Checkpoint& out, const Location& where) {
  try {
    const json meta = json::parse(text);
    out.architecture = meta.at("architecture").get<std::string>();
    out.options = model_options_from_json(meta.at("model_options").dump(), where.file);
    out.class_names = meta.at("class_names").get<std::vector<std::string>>();
    const json& pre = meta.at("preprocessing");
    out.preprocessing.input_height = pre.at("input_height").get<int64_t>();
    out.preprocessing.input_width = pre.at("input_width").get<int64_t>();
    out.preprocessing.normalization.mean = pre.at("mean").get<std::array<float, 3>>();
    out.preprocessing.normalization.std = pre.at("std").get<std::array<float, 3>>();
    const json& prov = meta.at("provenance");
    out.provenance.fashionseg_version = prov.at("fashionseg_version").get<std::string>();
    out.provenance.created_utc = prov.at("created_utc").get<std::string>();
    out.provenance.config_text = prov.at("config_text").get<std::string>();
    out.provenance.epoch = prov.at("epoch").get<int64_t>();
    out.provenance.source = prov.at("source").get<std::string>();
    if (meta.contains("category_rule")) {
      out.category_rule = category_rule_from_json(
          meta.at("category_rule"), static_cast<int>(out.options.num_classes), where.file);
    }
  } catch (const json::exception& e) {
    throw_input_error(std::string("malformed checkpoint metadata: ") + e.what(), where);
  }
  if (out.architecture.empty()) throw_input_error("checkpoint names no architecture", where);
  if (!out.class_names.empty() &&
      static_cast<int64_t>(out.class_names.size()) != out.options.num_classes) {
    throw_input_error("checkpoint has " + std::to_string(out.class_names.size()) +
                          " class names for " + std::to_string(out.options.num_classes) +
                          " classes",
                      where);
  }
}

}  // namespace

std::string model_options_to_json(const ModelOptions& options) {
  json object = {{"num_classes", options.num_classes}};
  visit_model_knobs(options, [&](const char* knob, const auto& value) { object[knob] = value; });
  return object.dump();
}

ModelOptions model_options_from_json(const std::string& json_text, const std::string& source) {
  const Location where{source, 0, "model_options"};
  ModelOptions options;
  try {
    const json object = json::parse(json_text);
    if (!object.is_object()) throw_input_error("model options are not a JSON object", where);
    for (const auto& item : object.items()) {
      const std::string& key = item.key();
      const json& value = item.value();
      bool known = key == "num_classes";
      if (known) options.num_classes = value.get<int64_t>();
      visit_model_knobs(options, [&](const char* knob, auto& field) {
        if (key != knob) return;
        field = value.get<std::decay_t<decltype(field)>>();
        known = true;
      });
      if (!known) {
        throw_input_error("unknown model option '" + key + "'", where,
                          "the file may come from a newer fashionseg");
      }
    }
  } catch (const json::exception& e) {
    throw_input_error(std::string("malformed model options: ") + e.what(), where);
  }
  return options;
}

std::string serialize_checkpoint(const Checkpoint& checkpoint,
                                 const SaveCheckpointOptions& options) {
  c10::Dict<std::string, torch::Tensor> weights;
  for (const auto& item : checkpoint.weights) {
    torch::Tensor tensor = cpu_copy(item.value());
    if (options.half_precision_weights && tensor.is_floating_point()) {
      tensor = tensor.to(torch::kHalf);
    }
    weights.insert(item.key(), tensor);
  }
  const auto& state = checkpoint.training;
  c10::Dict<std::string, torch::Tensor> blobs, tensors;
  c10::Dict<std::string, double> numbers;
  c10::Dict<std::string, std::string> texts;
  for (const auto& [name, bytes] : state.blobs) blobs.insert(name, bytes_to_tensor(bytes));
  for (const auto& [name, tensor] : state.tensors) tensors.insert(name, cpu_copy(tensor));
  for (const auto& [name, number] : state.numbers) numbers.insert(name, number);
  for (const auto& [name, text] : state.texts) texts.insert(name, text);
  GenericDict training = make_generic_dict();
  training.insert("blobs", blobs);
  training.insert("tensors", tensors);
  training.insert("numbers", numbers);
  training.insert("texts", texts);

  GenericDict root = make_generic_dict();
  root.insert("format", std::string(kCheckpointFormat));
  root.insert("format_version", kCheckpointFormatVersion);
  root.insert("metadata", metadata_json(checkpoint, options.half_precision_weights).dump(1));
  root.insert("weights", weights);
  root.insert("training", training);
  const std::vector<char> bytes = torch::pickle_save(root);
  return std::string(bytes.begin(), bytes.end());
}

void save_checkpoint(const Checkpoint& checkpoint, const std::filesystem::path& path,
                     const SaveCheckpointOptions& options) {
  write_file_atomic(path, serialize_checkpoint(checkpoint, options));
}

Checkpoint parse_checkpoint(const std::string& bytes, const std::string& source) {
  const Location where{source, 0, {}};
  const std::string hint_foreign = kForeignHint;
  if (!detail::starts_like_zip(bytes)) {
    throw_input_error("not a fashionseg checkpoint (not a PyTorch zip archive)", where,
                      hint_foreign);
  }
  detail::check_torch_archive(bytes, where);
  torch::IValue value;
  try {
    value = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const std::exception& e) {
    std::string reason = e.what();
    reason = reason.substr(0, reason.find('\n'));
    throw_input_error("cannot read the checkpoint (corrupt or truncated file): " + reason, where);
  }
  try {
    return checkpoint_from_value(value, where);
  } catch (const c10::Error& e) {
    // A well-formed archive whose contents do not have the expected types.
    std::string reason = e.what();
    reason = reason.substr(0, reason.find('\n'));
    throw_input_error("malformed checkpoint: " + reason, where);
  }
}

Checkpoint load_checkpoint(const std::filesystem::path& path) {
  return parse_checkpoint(read_file(path), path.string());
}

namespace {

Checkpoint checkpoint_from_value(const torch::IValue& value, const Location& where) {
  const std::string hint_foreign = kForeignHint;
  if (!value.isGenericDict()) throw_input_error("not a fashionseg checkpoint", where, hint_foreign);
  const c10::impl::GenericDict root = require_dict(value, "(root)", where);
  const auto format = root.find(torch::IValue(std::string("format")));
  if (format == root.end() || !format->value().isString() ||
      format->value().toStringRef() != kCheckpointFormat) {
    throw_input_error(
        "not a fashionseg checkpoint (no 'format' entry '" + std::string(kCheckpointFormat) + "')",
        where, hint_foreign);
  }
  const torch::IValue& version = require_entry(root, "format_version", where);
  if (!version.isInt()) throw_input_error("checkpoint format_version is not an integer", where);
  if (version.toInt() > kCheckpointFormatVersion || version.toInt() < 1) {
    throw_input_error("checkpoint format version " + std::to_string(version.toInt()) +
                          " is not supported (this build reads up to " +
                          std::to_string(kCheckpointFormatVersion) + ")",
                      where, "use the fashionseg version that wrote it, or a newer one");
  }

  Checkpoint out;
  const torch::IValue& metadata = require_entry(root, "metadata", where);
  if (!metadata.isString()) throw_input_error("checkpoint metadata is not text", where);
  parse_metadata(metadata.toStringRef(), out, where);

  for (const auto& entry : require_dict(require_entry(root, "weights", where), "weights", where)) {
    if (!entry.value().isTensor()) {
      throw_input_error("weight '" + entry.key().toStringRef() + "' is not a tensor", where);
    }
    torch::Tensor tensor = entry.value().toTensor();
    if (tensor.scalar_type() == torch::kHalf) tensor = tensor.to(torch::kFloat32);
    out.weights.insert(entry.key().toStringRef(), tensor);
  }

  const c10::impl::GenericDict training =
      require_dict(require_entry(root, "training", where), "training", where);
  const auto section = [&](const char* name) {
    return require_dict(require_entry(training, name, where), std::string("training.") + name,
                        where);
  };
  for (const auto& entry : section("blobs")) {
    if (!entry.value().isTensor())
      throw_input_error("training blob '" + entry.key().toStringRef() + "' is not bytes", where);
    out.training.blobs[entry.key().toStringRef()] = tensor_to_bytes(entry.value().toTensor());
  }
  for (const auto& entry : section("tensors")) {
    if (!entry.value().isTensor())
      throw_input_error("training tensor '" + entry.key().toStringRef() + "' is not a tensor",
                        where);
    out.training.tensors[entry.key().toStringRef()] = entry.value().toTensor();
  }
  for (const auto& entry : section("numbers")) {
    if (!entry.value().isDouble())
      throw_input_error("training number '" + entry.key().toStringRef() + "' is not a number",
                        where);
    out.training.numbers[entry.key().toStringRef()] = entry.value().toDouble();
  }
  for (const auto& entry : section("texts")) {
    if (!entry.value().isString())
      throw_input_error("training text '" + entry.key().toStringRef() + "' is not text", where);
    out.training.texts[entry.key().toStringRef()] = entry.value().toStringRef();
  }
  return out;
}

}  // namespace

Checkpoint make_checkpoint(const std::string& architecture, const ModelOptions& options,
                           const torch::nn::Module& model, std::vector<std::string> class_names) {
  Checkpoint out;
  out.architecture = architecture;
  out.options = options;
  if (class_names.empty()) {
    for (int64_t c = 0; c < options.num_classes; ++c)
      class_names.push_back("class_" + std::to_string(c));
  }
  out.class_names = std::move(class_names);
  for (const auto& item : named_state(model))
    out.weights.insert(item.key(), cpu_copy(item.value()));
  return out;
}

}  // namespace fashionseg
