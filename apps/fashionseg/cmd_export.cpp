// `fashionseg export`: turn a training checkpoint into the file to ship: weights and identity
// only (no optimizer state), optionally stored as fp16, provenance kept.
#include <torch/torch.h>

#include <filesystem>
#include <iostream>

#include "commands.h"
#include "fashionseg/core/error.h"
#include "fashionseg/torch/checkpoint.h"

namespace fashionseg::cli {
namespace {

struct ExportArguments {
  std::string input;
  std::string output;
  bool half = false;
};

void run_export(const ExportArguments& a) {
  namespace fs = std::filesystem;
  if (fs::exists(a.output) && fs::equivalent(a.input, a.output)) {
    throw_config_error("export: the output would overwrite the input " + a.input);
  }
  Checkpoint checkpoint = load_checkpoint(a.input);
  checkpoint.training = {};
  SaveCheckpointOptions save;
  save.half_precision_weights = a.half;
  save_checkpoint(checkpoint, a.output, save);
  std::cout << "wrote " << a.output << " (" << checkpoint.architecture << ", "
            << checkpoint.class_names.size() << " classes, " << (a.half ? "fp16" : "fp32")
            << " weights, " << fs::file_size(a.output) / 1024 << " KiB; input "
            << fs::file_size(a.input) / 1024 << " KiB)\n";
}

}  // namespace

Command add_export_command(CLI::App& root, const GlobalOptions& global) {
  auto a = std::make_shared<ExportArguments>();
  CLI::App* app = root.add_subcommand(
      "export", "Write a checkpoint for inference: no training state, optionally fp16 weights");
  app->add_option("input", a->input, "Checkpoint (.fsm), e.g. runs/x/last.fsm")->required();
  app->add_option("output", a->output, "Checkpoint to write (.fsm)")->required();
  app->add_flag("--half", a->half, "Store weights as fp16 (half the size; computed in fp32)");
  return {app, [a] { run_export(*a); }};
}

}  // namespace fashionseg::cli
