// `fashionseg train`: train a registered model as an experiment config describes.
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <iostream>

#include "commands.h"
#include "fashionseg/data/train_config.h"
#include "fashionseg/torch/trainer.h"
#include "terminal_progress.h"

namespace fashionseg::cli {
namespace {

std::atomic<bool> g_stop_requested{false};

extern "C" void request_stop(int) { g_stop_requested = true; }

struct TrainArguments {
  std::string config;
  std::vector<std::string> overrides;
  std::string output;
  std::string data;
  bool resume = false;
  bool print_config = false;
};

}  // namespace

Command add_train_command(CLI::App& root, const GlobalOptions& global) {
  CLI::App* app = root.add_subcommand("train", "Train a model on a prepared dataset");
  auto args = std::make_shared<TrainArguments>();
  app->add_option("config", args->config, "Experiment config (YAML, see configs/)")->required();
  app->add_option("--set", args->overrides, "Override a config value: section.key=value")
      ->take_all();
  app->add_option("-o,--output", args->output, "Run directory (= --set train.output=DIR)");
  app->add_option("--data", args->data, "Prepared dataset (= --set data.root=DIR)");
  app->add_flag("--resume", args->resume, "Continue the run in the output directory exactly");
  app->add_flag("--print-config", args->print_config, "Print the resolved configuration and exit");
  return {app, [args] {
            // --output and --data first, so an explicit --set of the same key wins.
            std::vector<std::string> overrides;
            if (!args->output.empty()) overrides.push_back("train.output=" + args->output);
            if (!args->data.empty()) overrides.push_back("data.root=" + args->data);
            overrides.insert(overrides.end(), args->overrides.begin(), args->overrides.end());
            const TrainConfig config = load_train_config(args->config, overrides);
            if (args->print_config) {
              std::cout << to_yaml(config);
              return;
            }
            // Stop cleanly on Ctrl-C / SIGTERM: the trainer checkpoints and returns.
            std::signal(SIGINT, request_stop);
            std::signal(SIGTERM, request_stop);
            TerminalProgress progress;
            TrainerOptions options;
            options.resume = args->resume;
            options.stop_requested = &g_stop_requested;
            options.progress = &progress;
            const TrainSummary summary = train_model(config, options);
            std::cout << "run: " << summary.run_dir.string() << "\n"
                      << "stopped: " << summary.stop_reason << " after " << summary.epochs_completed
                      << " epoch(s), " << summary.steps << " step(s)\n";
            if (summary.best_miou >= 0) {
              std::cout << "best validation mIoU: " << summary.best_miou << " ("
                        << (summary.run_dir / "best.fsm").string() << ")\n";
            }
            if (summary.stop_reason == "interrupted") {
              std::cout << "interrupted: continue with --resume\n";
              std::cout.flush();
              std::exit(130);
            }
          }};
}

}  // namespace fashionseg::cli
