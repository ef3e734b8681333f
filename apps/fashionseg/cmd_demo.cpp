// `fashionseg demo`: for now the data path end to end: synthesize a dataset, prepare it and
// show its statistics.
#include <iostream>

#include "commands.h"
#include "fashionseg/data/class_stats.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/data/imaterialist.h"
#include "fashionseg/data/prepare.h"
#include "fashionseg/data/stats_report.h"
#include "fashionseg/data/synth.h"
#include "terminal_progress.h"

namespace fashionseg::cli {

Command add_demo_command(CLI::App& root, const GlobalOptions& global) {
  CLI::App* app =
      root.add_subcommand("demo", "Synthesize a small dataset, prepare it and show its statistics");
  auto output = std::make_shared<std::string>("out/demo");
  app->add_option("-o,--output", *output, "Demo folder")->capture_default_str();
  return {app, [output, &global] {
            const std::filesystem::path root_dir(*output);
            SynthOptions synth;
            synth.output_dir = root_dir / "data";
            synth.threads = global.threads;
            const SynthSummary made = write_synthetic_imaterialist(synth);
            std::cout << "synthesized " << made.photos << " photos (" << made.instances
                      << " instances) in " << synth.output_dir.string() << "\n";
            const auto source = open_imaterialist(ImaterialistPaths::in_folder(synth.output_dir));
            const LabelSpace labels = make_all_label_space(source->taxonomy());
            PrepareOptions options;
            options.output_dir = root_dir / "prepared";
            options.threads = global.threads;
            options.val_fraction = 0.25;
            TerminalProgress progress;
            const PrepareSummary summary = prepare_dataset(*source, labels, options, progress);
            const ClassStatistics stats = read_class_statistics(options.output_dir / "stats.json");
            std::cout << format_class_table(stats);
            const auto chart = options.output_dir / "class_frequencies.png";
            write_png(chart, draw_class_chart(stats), true);
            std::cout << "prepared " << summary.photos << " photos: train " << summary.train
                      << ", val " << summary.val << "\n"
                      << "photos:  " << (synth.output_dir / "train").string() << "\n"
                      << "masks:   " << (options.output_dir / "masks").string() << "\n"
                      << "index:   " << (options.output_dir / "index.csv").string() << "\n"
                      << "stats:   " << (options.output_dir / "stats.json").string() << "\n"
                      << "chart:   " << chart.string() << "\n";
          }};
}

}  // namespace fashionseg::cli
