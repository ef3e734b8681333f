// `fashionseg synth`: a small synthetic dataset in the iMaterialist 2019 layout.
#include <iostream>

#include "commands.h"
#include "fashionseg/data/synth.h"

namespace fashionseg::cli {

Command add_synth_command(CLI::App& root, const GlobalOptions& global) {
  CLI::App* app = root.add_subcommand(
      "synth", "Write a small synthetic dataset in the iMaterialist 2019 layout");
  auto options = std::make_shared<SynthOptions>();
  auto output = std::make_shared<std::string>();
  app->add_option("-o,--output", *output, "Output folder")->required();
  app->add_option("--count", options->count, "Photos")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app->add_option("--width", options->width, "Photo width")->capture_default_str();
  app->add_option("--height", options->height, "Photo height")->capture_default_str();
  app->add_option("--seed", options->seed, "Seed (same seed, same files)")->capture_default_str();
  return {app, [options, output, &global] {
            options->output_dir = *output;
            options->threads = global.threads;
            const SynthSummary summary = write_synthetic_imaterialist(*options);
            std::cout << "wrote " << summary.photos << " photos with " << summary.instances
                      << " instances to " << *output
                      << " (train.csv, label_descriptions.json, train/)\n";
          }};
}

}  // namespace fashionseg::cli
