#pragma once
/// State dicts: a model's parameters and buffers by torchvision-style dotted name
/// ("backbone.layer4.2.conv3.weight"), loading them by name with every missing, unexpected or
/// mismatched key reported (never skipped silently), and reading/writing the `.pt` files that
/// Python's `torch.save` / `torch.load` use.

#include <torch/nn/module.h>
#include <torch/ordered_dict.h>
#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace fashionseg {

/// Tensors by dotted name, in PyTorch's state_dict order (per module: its parameters, then its
/// buffers, then its children).
using StateDict = torch::OrderedDict<std::string, torch::Tensor>;

/// The parameters and buffers of `module` and its descendants, named like PyTorch's
/// `state_dict()` keys. The tensors alias the module's storage (no copy); undefined tensors
/// (e.g. a convolution's absent bias) are left out.
StateDict named_state(const torch::nn::Module& module);

/// How load_state treats keys that do not match one to one.
struct LoadStateOptions {
  /// Backbone-only loading: when non-empty (e.g. "backbone."), only model keys starting with
  /// this prefix must be present in the file, and file keys outside it are ignored, whatever
  /// their shape (listed in LoadReport::ignored). Model keys outside the prefix keep their
  /// current values.
  /// Empty (default): every model key must be present and every file key must be used.
  std::string required_prefix;
  /// Re-initialise the classifier when the class count differs (default off): a key whose
  /// model tensor has `num_classes` rows while the file's has another count, with all other
  /// dimensions equal, keeps the model's current (fresh) values instead of being an error.
  bool reinit_classifier = false;
  /// The model's class count; required when reinit_classifier is set.
  int64_t num_classes = -1;
  /// Where the tensors came from (a file name), used in error messages.
  std::string source;
  /// Parts a file may lack or carry in excess (e.g. "category_head." when a model with a
  /// category head starts from weights without one): model keys with one of these prefixes
  /// that the file lacks keep their current values (listed in LoadReport::kept), file keys
  /// with one that the model lacks are skipped (LoadReport::ignored). Empty: none.
  std::vector<std::string> optional_prefixes;
};

/// What load_state did, key by key.
struct LoadReport {
  std::vector<std::string> loaded;          ///< model keys copied from the file
  std::vector<std::string> missing;         ///< model keys absent from the file
  std::vector<std::string> unexpected;      ///< file keys the model does not have
  std::vector<std::string> shape_mismatch;  ///< "key: file [a, b] vs model [c, d]"
  std::vector<std::string> wrong_type;      ///< "key: file Long vs model Float" (int <-> float)
  std::vector<std::string> not_finite;      ///< floating keys holding NaN or infinite values
  std::vector<std::string> reinitialised;   ///< classifier keys left at their fresh values
  std::vector<std::string> ignored;         ///< file keys outside required_prefix
  std::vector<std::string> kept;            ///< model keys outside required_prefix, left unchanged
  /// Human-readable summary: counts, then every key of every non-empty list but `loaded`.
  std::string summary() const;
};

/// Copies `tensors` into `module`'s parameters and buffers by name (converting between
/// floating types, e.g. fp16 -> fp32). By default any missing, unexpected or shape-mismatched
/// key, an integer tensor for a floating one (or the reverse) and a floating tensor holding NaN
/// or infinite values are an Error(kInput) that lists every offending key by name, and then
/// nothing is modified;
/// `options` relaxes exactly the documented cases. Returns what was done.
LoadReport load_state(torch::nn::Module& module, const StateDict& tensors,
                      const LoadStateOptions& options = {});

/// Returns a copy of `tensors` with `from` replaced by `to` at the start of every key that
/// starts with `from` (an empty `from` prefixes every key). E.g. ("features.", "backbone.")
/// maps a torchvision MobileNetV3 / VGG classification checkpoint onto a segmentation backbone.
StateDict rename_prefix(const StateDict& tensors, const std::string& from, const std::string& to);

/// Reads a dict of tensors written by Python's `torch.save(dict_of_tensors, path)` (the zip
/// format of PyTorch >= 1.6) or by write_state_file. Tensors come back on the CPU.
/// Throws Error(kNotFound) when the file does not exist, Error(kInput) naming the file when it
/// is not such a dict (corrupt, truncated, legacy format, a `collections.OrderedDict` from
/// `model.state_dict()` — the message says how to convert it — or non-tensor values).
StateDict read_state_file(const std::filesystem::path& path);

/// Parses the bytes of such a file; `source` names it in error messages.
StateDict parse_state_bytes(const std::string& bytes, const std::string& source);

/// Serialises `tensors` (copied to the CPU, made contiguous) as a plain dict of tensors that
/// Python reads with `torch.load(path)` and loads with `model.load_state_dict(...)`.
std::string serialize_state(const StateDict& tensors);

/// Writes serialize_state(tensors) to `path` atomically.
void write_state_file(const std::filesystem::path& path, const StateDict& tensors);

/// "[2, 3, 4]": a tensor's shape as text, for messages.
std::string shape_text(const torch::Tensor& tensor);

}  // namespace fashionseg
