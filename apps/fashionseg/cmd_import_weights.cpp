// `fashionseg import-weights`: turns a PyTorch weights file (torchvision state_dict keys) into a
// self-describing fashionseg checkpoint, reporting every key that does not match by name.
#include <spdlog/spdlog.h>

#include <torch/torch.h>

#include <iostream>

#include "commands.h"
#include "fashionseg/core/error.h"
#include "fashionseg/torch/checkpoint.h"
#include "fashionseg/torch/model_registry.h"
#include "fashionseg/torch/state_dict.h"

namespace fashionseg::cli {
namespace {

struct ImportOptions {
  std::string architecture;
  std::string weights;
  std::string output;
  int64_t num_classes = 0;  // 0 = the class count found in the file / model default
  bool aux_head = false;
  bool backbone_only = false;
  bool reinit_classifier = false;
  bool half = false;
  std::vector<std::string> prefix_maps;
  std::vector<std::string> class_names;
};

// Splits "FROM=TO" (FROM may be empty).
std::pair<std::string, std::string> parse_prefix_map(const std::string& text) {
  const auto equals = text.find('=');
  if (equals == std::string::npos) {
    throw_config_error("--prefix-map '" + text + "' is not FROM=TO",
                       "e.g. --prefix-map features.=backbone. or --prefix-map =backbone.");
  }
  return {text.substr(0, equals), text.substr(equals + 1)};
}

// The class count of the weights in `tensors`: keys whose first dimension follows
// num_classes are found by building the architecture with two class counts; the file's size
// of such a key is its class count. 0 when the file has none of them.
int64_t infer_num_classes(const std::string& architecture, const ModelOptions& base,
                          const StateDict& tensors) {
  ModelOptions a = base, b = base;
  a.num_classes = 3;
  b.num_classes = 4;
  const StateDict with_a = named_state(*create_model(architecture, a));
  const StateDict with_b = named_state(*create_model(architecture, b));
  for (const auto& item : with_a) {
    const torch::Tensor* other = with_b.find(item.key());
    const torch::Tensor* in_file = tensors.find(item.key());
    if (other && in_file && item.value().dim() > 0 && in_file->dim() > 0 &&
        item.value().size(0) == 3 && other->size(0) == 4) {
      return in_file->size(0);
    }
  }
  return 0;
}

void run_import(const ImportOptions& args) {
  StateDict tensors = read_state_file(args.weights);
  for (const auto& text : args.prefix_maps) {
    const auto [from, to] = parse_prefix_map(text);
    tensors = rename_prefix(tensors, from, to);
  }
  ModelOptions options;
  // The file's aux head is kept when it has one (torchvision's aux_classifier), or when asked.
  bool file_has_aux = false;
  for (const auto& key : tensors.keys()) file_has_aux |= key.rfind("aux_classifier.", 0) == 0;
  options.aux_head = args.aux_head || (file_has_aux && !args.backbone_only);
  if (args.num_classes > 0) {
    options.num_classes = args.num_classes;
  } else if (!args.backbone_only) {
    const int64_t found = infer_num_classes(args.architecture, options, tensors);
    if (found > 0) options.num_classes = found;
  }
  ModelPtr model = create_model(args.architecture, options);

  LoadStateOptions load;
  load.source = args.weights;
  if (args.backbone_only) load.required_prefix = "backbone.";
  load.reinit_classifier = args.reinit_classifier;
  load.num_classes = options.num_classes;
  const LoadReport report = load_state(*model, tensors, load);

  if (!args.class_names.empty() &&
      static_cast<int64_t>(args.class_names.size()) != options.num_classes) {
    throw_config_error("--class-names has " + std::to_string(args.class_names.size()) +
                       " names for " + std::to_string(options.num_classes) + " classes");
  }
  Checkpoint checkpoint = make_checkpoint(args.architecture, options, *model, args.class_names);
  checkpoint.provenance.source =
      "imported from " + args.weights + (args.backbone_only ? " (backbone only)" : "") +
      (report.reinitialised.empty() ? "" : " (classifier re-initialised)");
  SaveCheckpointOptions save;
  save.half_precision_weights = args.half;
  save_checkpoint(checkpoint, args.output, save);
  std::cout << report.summary() << "\n"
            << "wrote " << args.output << " (" << args.architecture << ", " << options.num_classes
            << " classes" << (options.aux_head ? ", aux head" : "")
            << (args.half ? ", fp16 weights" : "") << ")\n";
}

}  // namespace

Command add_import_weights_command(CLI::App& root, const GlobalOptions& global) {
  auto args = std::make_shared<ImportOptions>();
  CLI::App* app = root.add_subcommand(
      "import-weights", "Convert PyTorch weights (torchvision names) into a checkpoint (.fsm)");
  app->add_option("--arch", args->architecture, "Registered architecture (see `fashionseg models`)")
      ->required();
  app->add_option("--weights", args->weights,
                  "torch.save'd dict of tensors, e.g. torch.save(dict(m.state_dict()), 'w.pt')")
      ->required();
  app->add_option("-o,--output", args->output, "Checkpoint to write (.fsm)")->required();
  app->add_option("--classes", args->num_classes,
                  "Output classes of the model (default: the file's class count, else 47)")
      ->check(CLI::PositiveNumber);
  app->add_option("--class-names", args->class_names, "One name per class (default class_0..)");
  app->add_flag("--aux", args->aux_head, "Build the aux head even when the file has none");
  app->add_flag("--backbone-only", args->backbone_only,
                "Load only keys under 'backbone.'; the rest keeps its fresh initialisation");
  app->add_flag("--reinit-classifier", args->reinit_classifier,
                "Re-initialise classifier layers whose class count differs from --classes");
  app->add_option("--prefix-map", args->prefix_maps,
                  "Rename key prefixes FROM=TO before loading (repeatable), e.g. "
                  "'=backbone.' for a torchvision resnet50, 'features.=backbone.' for "
                  "mobilenet_v3_large");
  app->add_flag("--half", args->half, "Store the weights as fp16 (half the file size)");
  return {app, [args] { run_import(*args); }};
}

}  // namespace fashionseg::cli
