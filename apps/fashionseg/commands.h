#pragma once
/// The subcommands of the fashionseg program. Each lives in its own file and adds itself to
/// the CLI through one function listed in main.cpp's table.

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace fashionseg::cli {

/// Options shared by every subcommand.
struct GlobalOptions {
  int threads = 0;                 ///< worker threads; 0 = all cores
  std::string log_level = "info";  ///< trace, debug, info, warn, error, off
};

/// A subcommand: its CLI11 node and the action to run when the user picked it.
struct Command {
  CLI::App* app = nullptr;
  std::function<void()> run;
};

/// Signature of a subcommand's registration function.
using AddCommand = Command (*)(CLI::App& root, const GlobalOptions& global);

Command add_info_command(CLI::App& root, const GlobalOptions& global);
Command add_synth_command(CLI::App& root, const GlobalOptions& global);
Command add_prepare_command(CLI::App& root, const GlobalOptions& global);
Command add_stats_command(CLI::App& root, const GlobalOptions& global);
Command add_demo_command(CLI::App& root, const GlobalOptions& global);
Command add_train_command(CLI::App& root, const GlobalOptions& global);
Command add_evaluate_command(CLI::App& root, const GlobalOptions& global);
Command add_calibrate_command(CLI::App& root, const GlobalOptions& global);
Command add_report_command(CLI::App& root, const GlobalOptions& global);
Command add_compare_command(CLI::App& root, const GlobalOptions& global);
Command add_models_command(CLI::App& root, const GlobalOptions& global);
Command add_import_weights_command(CLI::App& root, const GlobalOptions& global);
Command add_export_weights_command(CLI::App& root, const GlobalOptions& global);
Command add_predict_command(CLI::App& root, const GlobalOptions& global);
Command add_serve_command(CLI::App& root, const GlobalOptions& global);
Command add_export_command(CLI::App& root, const GlobalOptions& global);
Command add_bench_command(CLI::App& root, const GlobalOptions& global);

}  // namespace fashionseg::cli
