// `fashionseg export-weights`: writes a checkpoint's weights as a plain dict of tensors that
// Python loads into the torchvision model with load_state_dict (docs/weights.md).
#include <iostream>

#include "commands.h"
#include "fashionseg/core/error.h"
#include "fashionseg/torch/checkpoint.h"
#include "fashionseg/torch/state_dict.h"

namespace fashionseg::cli {

Command add_export_weights_command(CLI::App& root, const GlobalOptions& global) {
  struct Args {
    std::string checkpoint;
    std::string output;
  };
  auto args = std::make_shared<Args>();
  CLI::App* app =
      root.add_subcommand("export-weights",
                          "Write a checkpoint's weights as a PyTorch dict (torch.load + "
                          "load_state_dict)");
  app->add_option("checkpoint", args->checkpoint, "Checkpoint (.fsm)")->required();
  app->add_option("-o,--output", args->output, "PyTorch file to write (.pt)")->required();
  return {
      app, [args] {
        const Checkpoint checkpoint = load_checkpoint(args->checkpoint);
        // The detail decoder changes the masks and torchvision has no such module: a file
        // without it would load and segment differently, so refuse.
        if (checkpoint.options.detail_decoder) {
          throw Error(ErrorKind::kConfig,
                      "the model has a detail decoder (model.detail_decoder), which "
                      "torchvision's " +
                          checkpoint.architecture + " lacks: its masks cannot be reproduced there",
                      Location{args->checkpoint, 0, ""});
        }
        // torchvision's model has no category head: its weights stay out, so the file
        // loads strictly into the torchvision architecture.
        StateDict weights;
        for (const auto& item : checkpoint.weights) {
          if (item.key().rfind("category_head.", 0) != 0) weights.insert(item.key(), item.value());
        }
        write_state_file(args->output, weights);
        std::cout << "wrote " << args->output << ": " << weights.size() << " tensors of "
                  << checkpoint.architecture << " (" << checkpoint.options.num_classes << " classes"
                  << (checkpoint.options.aux_head ? ", aux head" : "")
                  << (checkpoint.options.category_head ? "; category head left out" : "") << ")\n";
      }};
}

}  // namespace fashionseg::cli
