// fashionseg: one program, one subcommand per job. Errors become one message on stderr and a
// non-zero exit code (see fashionseg::Error::exit_code).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "fashionseg/core/error.h"
#include "fashionseg/core/version.h"
#include "fashionseg/torch/runtime.h"

namespace {

using fashionseg::cli::AddCommand;

// The explicit table of subcommands (no self-registering statics: a static library's linker
// would drop them silently).
const AddCommand kCommands[] = {
    fashionseg::cli::add_info_command,           fashionseg::cli::add_synth_command,
    fashionseg::cli::add_prepare_command,        fashionseg::cli::add_stats_command,
    fashionseg::cli::add_demo_command,           fashionseg::cli::add_train_command,
    fashionseg::cli::add_evaluate_command,       fashionseg::cli::add_report_command,
    fashionseg::cli::add_compare_command,        fashionseg::cli::add_models_command,
    fashionseg::cli::add_import_weights_command, fashionseg::cli::add_export_weights_command,
    fashionseg::cli::add_predict_command,        fashionseg::cli::add_serve_command,
    fashionseg::cli::add_export_command,         fashionseg::cli::add_bench_command,
    fashionseg::cli::add_calibrate_command,
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fashionseg: segment fashion photos into garments and accessories"};
  app.set_version_flag("--version", std::string("fashionseg ") + FASHIONSEG_VERSION);
  app.require_subcommand(1);
  app.fallthrough();

  fashionseg::cli::GlobalOptions global;
  app.add_option("--threads", global.threads, "Worker threads (0 = all cores)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--log-level", global.log_level, "Log level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

  std::vector<fashionseg::cli::Command> commands;
  for (AddCommand add : kCommands) commands.push_back(add(app, global));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the message; its own exit codes (105, 106, ...) are outside the documented
    // 0-4, so a usage error is a configuration error (2). --help and --version exit 0.
    const int code = app.exit(e);
    return code == 0 ? 0 : fashionseg::Error(fashionseg::ErrorKind::kConfig, "").exit_code();
  }

  spdlog::set_level(spdlog::level::from_str(global.log_level));
  spdlog::set_pattern("%^[%l]%$ %v");
  try {
    // The service runs for days: its memory must follow the load (MemoryUse::kBounded).
    fashionseg::configure_runtime(global.threads, app.got_subcommand("serve")
                                                      ? fashionseg::MemoryUse::kBounded
                                                      : fashionseg::MemoryUse::kThroughput);
    for (const auto& command : commands) {
      if (command.app->parsed()) command.run();
    }
  } catch (const fashionseg::Error& e) {
    std::cerr << "fashionseg: error: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::filesystem::filesystem_error& e) {
    // A folder that cannot be made or a path that is a file (-o into /proc, onto a file).
    std::cerr << "fashionseg: error: " << e.what() << "\n";
    return fashionseg::Error(fashionseg::ErrorKind::kIo, "").exit_code();
  } catch (const std::exception& e) {
    std::cerr << "fashionseg: internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
