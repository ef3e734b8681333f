// State dicts by name, and the `.pt` files Python's torch.save/torch.load read and write.
#include "fashionseg/torch/state_dict.h"

#include <torch/serialize.h>
#include <torch/torch.h>

#include <algorithm>
#include <sstream>

#include "fashionseg/core/error.h"
#include "fashionseg/core/files.h"
#include "models/torch_archive.h"

namespace fashionseg {
namespace {

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// Same order as PyTorch's Module.state_dict(): own parameters, own buffers, then children.
void collect_state(const torch::nn::Module& module, const std::string& prefix, StateDict& out) {
  for (const auto& item : module.named_parameters(/*recurse=*/false)) {
    const std::string key = prefix + item.key();
    if (item.value().defined() && !out.contains(key)) out.insert(key, item.value());
  }
  for (const auto& item : module.named_buffers(/*recurse=*/false)) {
    const std::string key = prefix + item.key();
    if (item.value().defined() && !out.contains(key)) out.insert(key, item.value());
  }
  for (const auto& child : module.named_children()) {
    collect_state(*child.value(), prefix + child.key() + ".", out);
  }
}

// A classifier whose class count differs: same shape except the first (output) dimension,
// which is the model's class count.
bool is_classifier_resize(const torch::Tensor& file, const torch::Tensor& model,
                          int64_t num_classes) {
  if (file.dim() != model.dim() || model.dim() == 0) return false;
  if (model.size(0) != num_classes || file.size(0) == num_classes) return false;
  for (int64_t d = 1; d < model.dim(); ++d) {
    if (file.size(d) != model.size(d)) return false;
  }
  return true;
}

// A CPU tensor that owns exactly its elements: a view of a larger storage would otherwise be
// saved with the whole storage.
torch::Tensor compact_cpu_copy(const torch::Tensor& tensor) {
  torch::Tensor cpu = tensor.detach().to(torch::kCPU).contiguous();
  if (cpu.storage_offset() != 0 || cpu.storage().nbytes() != cpu.nbytes()) cpu = cpu.clone();
  return cpu;
}

void append_list(std::ostringstream& text, const char* title,
                 const std::vector<std::string>& keys) {
  if (keys.empty()) return;
  text << "\n  " << title << " (" << keys.size() << "):";
  for (const auto& key : keys) text << "\n    " << key;
}

/// What a torch.save archive's pickle holds at the top, when it is not a dict of tensors.
struct TopLevelObject {
  std::string description;  ///< empty: a plain dict with string keys (or not recognised)
  std::string hint;
};

/// Reads the first opcodes of the archive's data.pkl (stored uncompressed, as PyTorch writes
/// it): a GLOBAL names the top-level object's class (collections.OrderedDict from
/// model.state_dict(), a pickled module from torch.save(model), __torch__.* from TorchScript);
/// an EMPTY_DICT is a dict, whose first key's opcode tells whether its keys are strings.
TopLevelObject top_level_object(const std::string& bytes) {
  const std::string convert =
      "save the weights as a plain dict in Python: torch.save(dict(model.state_dict()), "
      "'weights.pt')";
  const TopLevelObject torchscript{
      "the file is a TorchScript module (torch.jit.save), not a dict of weights",
      "load it in Python (torch.jit.load) and " + convert};
  if (bytes.find("/code/__torch__") != std::string::npos) return torchscript;
  const size_t name = bytes.find("data.pkl");
  if (name == std::string::npos) return {};
  // Local header: the name, an extra field (PyTorch pads data to 64 bytes), then the pickle.
  const size_t start = bytes.find("\x80\x02", name);
  if (start == std::string::npos || start > name + 200) return {};
  size_t at = start + 2;
  auto next_line = [&]() {
    const size_t end = bytes.find('\n', at);
    if (end == std::string::npos || end - at > 200) return std::string();
    std::string text = bytes.substr(at, end - at);
    at = end + 1;
    return text;
  };
  if (at < bytes.size() && bytes[at] == 'c') {  // GLOBAL module\nname\n
    ++at;
    const std::string module = next_line();
    const std::string cls = next_line();
    if (module == "collections" && cls == "OrderedDict") {
      return {
          "the file holds a collections.OrderedDict (from model.state_dict()), which "
          "LibTorch cannot read",
          "convert it in Python: torch.save(dict(model.state_dict()), 'weights.pt')"};
    }
    if (module.rfind("__torch__", 0) == 0) return torchscript;
    return {"the file holds a pickled " + module + "." + cls +
                " object (torch.save(model)), not a dict of weights",
            convert};
  }
  if (at < bytes.size() && bytes[at] == '}') {  // EMPTY_DICT [BINPUT n] [MARK] first key
    ++at;
    if (at + 1 < bytes.size() && bytes[at] == 'q') at += 2;
    if (at + 4 < bytes.size() && bytes[at] == 'r') at += 5;
    if (at < bytes.size() && bytes[at] == '(') ++at;
    // BINUNICODE, SHORT_BINUNICODE, UNICODE: a string key; STOP / SETITEMS: an empty dict.
    const std::string string_or_end = std::string("X\x8cV.u", 5);
    if (at < bytes.size() && string_or_end.find(bytes[at]) == std::string::npos) {
      return {
          "the file holds a dict whose keys are not strings (weights keyed by parameter "
          "name are expected)",
          convert};
    }
  }
  return {};
}

}  // namespace

std::string shape_text(const torch::Tensor& tensor) {
  std::ostringstream text;
  text << "[";
  for (int64_t d = 0; d < tensor.dim(); ++d) text << (d ? ", " : "") << tensor.size(d);
  text << "]";
  return text.str();
}

StateDict named_state(const torch::nn::Module& module) {
  StateDict out;
  collect_state(module, "", out);
  return out;
}

std::string LoadReport::summary() const {
  std::ostringstream text;
  text << loaded.size() << " tensors loaded";
  append_list(text, "missing from the file", missing);
  append_list(text, "unexpected (not in the model)", unexpected);
  append_list(text, "shape mismatch", shape_mismatch);
  append_list(text, "integer where floating point is expected, or the reverse", wrong_type);
  append_list(text, "NaN or infinite values", not_finite);
  append_list(text, "re-initialised classifier", reinitialised);
  append_list(text, "ignored (outside the required prefix, or optional)", ignored);
  append_list(text, "kept at their current values (outside the required prefix, or optional)",
              kept);
  return text.str();
}

LoadReport load_state(torch::nn::Module& module, const StateDict& tensors,
                      const LoadStateOptions& options) {
  if (options.reinit_classifier && options.num_classes <= 0) {
    throw Error(ErrorKind::kInternal, "load_state: reinit_classifier needs num_classes");
  }
  const StateDict target = named_state(module);
  const bool prefix_only = !options.required_prefix.empty();
  auto is_optional = [&](const std::string& key) {
    return std::any_of(options.optional_prefixes.begin(), options.optional_prefixes.end(),
                       [&](const std::string& prefix) { return starts_with(key, prefix); });
  };
  LoadReport report;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;  // (destination, source)

  for (const auto& item : tensors) {
    const std::string& key = item.key();
    if (prefix_only && !starts_with(key, options.required_prefix)) {
      report.ignored.push_back(key);
      continue;
    }
    const torch::Tensor* destination = target.find(key);
    if (!destination && is_optional(key)) {
      report.ignored.push_back(key);
      continue;
    }
    if (!destination) {
      report.unexpected.push_back(key);
      continue;
    }
    const torch::Tensor& source = item.value();
    if (source.is_floating_point() != destination->is_floating_point()) {
      report.wrong_type.push_back(key + ": file " +
                                  std::string(c10::toString(source.scalar_type())) + " vs model " +
                                  std::string(c10::toString(destination->scalar_type())));
    } else if (source.is_floating_point() && !torch::isfinite(source).all().item<bool>()) {
      // Diverged training or a broken export: such weights segment into garbage silently.
      report.not_finite.push_back(key);
    } else if (source.sizes() == destination->sizes()) {
      copies.emplace_back(*destination, source);
      report.loaded.push_back(key);
    } else if (options.reinit_classifier &&
               is_classifier_resize(source, *destination, options.num_classes)) {
      report.reinitialised.push_back(key + ": file " + shape_text(source) + " vs model " +
                                     shape_text(*destination));
    } else {
      report.shape_mismatch.push_back(key + ": file " + shape_text(source) + " vs model " +
                                      shape_text(*destination));
    }
  }
  for (const auto& item : target) {
    if (prefix_only && !starts_with(item.key(), options.required_prefix)) {
      report.kept.push_back(item.key());
    } else if (!tensors.contains(item.key()) && is_optional(item.key())) {
      report.kept.push_back(item.key());
    } else if (!tensors.contains(item.key())) {
      report.missing.push_back(item.key());
    }
  }

  if (!report.missing.empty() || !report.unexpected.empty() || !report.shape_mismatch.empty() ||
      !report.wrong_type.empty() || !report.not_finite.empty()) {
    std::ostringstream text;
    text << "weights do not match the model (" << report.missing.size() << " missing, "
         << report.unexpected.size() << " unexpected, " << report.shape_mismatch.size()
         << " shape mismatches, " << report.wrong_type.size() << " of the wrong type, "
         << report.not_finite.size() << " not finite); nothing was loaded";
    append_list(text, "missing from the file", report.missing);
    append_list(text, "unexpected (not in the model)", report.unexpected);
    append_list(text, "shape mismatch", report.shape_mismatch);
    append_list(text, "integer where floating point is expected, or the reverse",
                report.wrong_type);
    append_list(text, "NaN or infinite values", report.not_finite);
    std::string hint;
    if (!report.shape_mismatch.empty() && !options.reinit_classifier) {
      hint = "a different class count needs --reinit-classifier";
    } else if (!report.missing.empty() && !prefix_only) {
      hint = "to load only the backbone use --backbone-only";
    }
    throw Error(ErrorKind::kInput, text.str(), Location{options.source, 0, {}}, hint);
  }

  torch::NoGradGuard no_grad;
  for (auto& [destination, source] : copies) destination.copy_(source);
  return report;
}

StateDict rename_prefix(const StateDict& tensors, const std::string& from, const std::string& to) {
  StateDict out;
  for (const auto& item : tensors) {
    const std::string key =
        starts_with(item.key(), from) ? to + item.key().substr(from.size()) : item.key();
    if (out.contains(key)) {
      throw_input_error("renaming prefix '" + from + "' to '" + to + "' makes key '" + key +
                        "' appear twice");
    }
    out.insert(key, item.value());
  }
  return out;
}

StateDict parse_state_bytes(const std::string& bytes, const std::string& source) {
  const Location where{source, 0, {}};
  // torch.save's zip format starts with a local file header; the legacy (pre-1.6) format
  // starts with a pickle protocol opcode.
  if (!detail::starts_like_zip(bytes)) {
    throw_input_error("not a PyTorch zip file (torch.save of PyTorch >= 1.6)", where,
                      "re-save it with torch.save(dict(state_dict), path) from Python");
  }
  detail::check_torch_archive(bytes, where);
  torch::IValue value;
  try {
    value = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const std::exception& e) {
    // Name what the file holds instead when it is not a dict of tensors (LibTorch's unpickler
    // fails on those with messages about its own internals).
    const TopLevelObject top = top_level_object(bytes);
    if (!top.description.empty()) throw_input_error(top.description, where, top.hint);
    std::string reason = e.what();
    reason = reason.substr(0, reason.find('\n'));
    throw_input_error("cannot read the PyTorch file (corrupt, truncated or unsupported): " + reason,
                      where);
  }
  if (value.isNone()) {
    throw_input_error(
        "the file holds no plain dict (a collections.OrderedDict from model.state_dict() "
        "cannot be read from C++)",
        where, "convert it in Python: torch.save(dict(model.state_dict()), 'weights.pt')");
  }
  if (!value.isGenericDict()) {
    throw_input_error("expected a dict of tensors, found " + value.tagKind(), where);
  }
  StateDict out;
  std::vector<std::string> not_tensors;
  for (const auto& entry : value.toGenericDict()) {
    if (!entry.key().isString()) throw_input_error("a key of the dict is not a string", where);
    const std::string key = entry.key().toStringRef();
    if (!entry.value().isTensor()) {
      not_tensors.push_back(key + " (" + entry.value().tagKind() + ")");
      continue;
    }
    out.insert(key, entry.value().toTensor());
  }
  if (!not_tensors.empty()) {
    std::string list;
    for (const auto& key : not_tensors) list += "\n    " + key;
    throw_input_error("expected a dict of tensors; these values are not tensors:" + list, where,
                      "save only the weights: torch.save(dict(model.state_dict()), path)");
  }
  return out;
}

StateDict read_state_file(const std::filesystem::path& path) {
  return parse_state_bytes(read_file(path), path.string());
}

std::string serialize_state(const StateDict& tensors) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& item : tensors) {
    dict.insert(item.key(), compact_cpu_copy(item.value()));
  }
  const std::vector<char> bytes = torch::pickle_save(dict);
  return std::string(bytes.begin(), bytes.end());
}

void write_state_file(const std::filesystem::path& path, const StateDict& tensors) {
  write_file_atomic(path, serialize_state(tensors));
}

}  // namespace fashionseg
