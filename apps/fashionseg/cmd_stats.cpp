// `fashionseg stats`: the per-class table of a prepared dataset and a bar chart PNG.
#include <iostream>

#include "commands.h"
#include "fashionseg/data/class_stats.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/data/stats_report.h"

namespace fashionseg::cli {

Command add_stats_command(CLI::App& root, const GlobalOptions& global) {
  CLI::App* app = root.add_subcommand(
      "stats", "Per-class photos, pixel shares and weights of a prepared dataset");
  auto dir = std::make_shared<std::string>();
  auto chart = std::make_shared<std::string>();
  app->add_option("dir", *dir, "Prepared dataset folder (from `fashionseg prepare`)")->required();
  app->add_option("--chart", *chart,
                  "Where to write the bar chart PNG (default: <dir>/class_frequencies.png)");
  return {app, [dir, chart] {
            const std::filesystem::path folder(*dir);
            const ClassStatistics stats = read_class_statistics(folder / "stats.json");
            std::cout << format_class_table(stats);
            const std::filesystem::path chart_path =
                chart->empty() ? folder / "class_frequencies.png" : std::filesystem::path(*chart);
            write_png(chart_path, draw_class_chart(stats), true);
            std::cout << "chart: " << chart_path.string() << "\n";
          }};
}

}  // namespace fashionseg::cli
