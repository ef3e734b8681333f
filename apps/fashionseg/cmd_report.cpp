// `fashionseg report` and `fashionseg compare`: HTML pages of one run or several.
#include <iostream>
#include <optional>

#include "commands.h"
#include "fashionseg/core/error.h"
#include "fashionseg/core/files.h"
#include "fashionseg/data/confusion_heatmap.h"
#include "fashionseg/data/dataset_index.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/data/render.h"
#include "fashionseg/data/report.h"
#include "fashionseg/data/train_config.h"
#include "fashionseg/torch/segmenter.h"

namespace fashionseg::cli {
namespace fs = std::filesystem;
namespace {

/// Photo | truth | prediction panels for the first `count` validation photos.
std::vector<ReportImage> example_panels(const fs::path& run_dir, const RunRecord& run, int count) {
  std::vector<ReportImage> examples;
  const fs::path checkpoint =
      fs::exists(run_dir / "best.fsm") ? run_dir / "best.fsm" : run_dir / "last.fsm";
  if (count <= 0 || !fs::exists(checkpoint) || run.config_yaml.empty()) return examples;
  const TrainConfig config =
      parse_train_config(run.config_yaml, (run_dir / "config.yaml").string());
  const PreparedDataset dataset = read_prepared_dataset(config.data.root);
  const auto val = with_supervision(dataset.split(config.data.val_split), Supervision::kMask);
  const auto photos =
      val.empty() ? with_supervision(dataset.split(config.data.train_split), Supervision::kMask)
                  : val;
  const Segmenter segmenter(checkpoint);
  for (int i = 0; i < count && i < static_cast<int>(photos.size()); ++i) {
    const cv::Mat rgb = read_image_rgb(photos[i].image);
    const cv::Mat truth = read_label_mask(photos[i].mask);
    const cv::Mat prediction = segmenter.segment(rgb).labels;
    const cv::Mat panel =
        side_by_side({rgb, overlay_mask(rgb, truth), overlay_mask(rgb, prediction)},
                     {"photo", "ground truth", "prediction"});
    examples.push_back({photos[i].image_id, "image/jpeg", encode_jpeg(panel, 85)});
  }
  return examples;
}

std::optional<ReportImage> confusion_picture(const RunRecord& run) {
  if (!run.best_metrics.is_object() || !run.best_metrics.contains("confusion_matrix")) return {};
  const auto& rows = run.best_metrics["confusion_matrix"];
  ConfusionMatrix matrix(static_cast<int>(rows.size()));
  std::vector<std::string> names;
  for (const auto& row : run.best_metrics["classes"]) names.push_back(row.value("name", ""));
  for (size_t t = 0; t < rows.size(); ++t) {
    for (size_t p = 0; p < rows[t].size() && p < rows.size(); ++p) {
      matrix.mutable_counts()[t * rows.size() + p] = rows[t][p].get<uint64_t>();
    }
  }
  return ReportImage{"rows: ground truth, columns: prediction", "image/png",
                     encode_png(draw_confusion_heatmap(matrix, names))};
}

}  // namespace

Command add_report_command(CLI::App& root, const GlobalOptions& global) {
  CLI::App* app = root.add_subcommand("report", "HTML report of a training run (offline page)");
  auto run_dir = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto examples = std::make_shared<int>(6);
  app->add_option("run", *run_dir, "Run directory (train.output)")->required();
  app->add_option("-o,--output", *output, "HTML file (default: <run>/report.html)");
  app->add_option("--examples", *examples, "Validation photos shown with truth and prediction")
      ->check(CLI::NonNegativeNumber);
  return {app, [run_dir, output, examples] {
            const RunRecord run = read_run(*run_dir);
            const auto confusion = confusion_picture(run);
            const std::string html = render_run_report(
                run, example_panels(*run_dir, run, *examples), confusion ? &*confusion : nullptr);
            const fs::path out =
                output->empty() ? fs::path(*run_dir) / "report.html" : fs::path(*output);
            write_file_atomic(out, html);
            std::cout << "report: " << out.string() << "\n";
          }};
}

Command add_compare_command(CLI::App& root, const GlobalOptions& global) {
  CLI::App* app = root.add_subcommand("compare", "Compare several training runs in one page");
  auto runs = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>("comparison.html");
  app->add_option("runs", *runs, "Run directories")->required();
  app->add_option("-o,--output", *output, "HTML file")->capture_default_str();
  return {app, [runs, output] {
            std::vector<RunRecord> records;
            for (const auto& dir : *runs) records.push_back(read_run(dir));
            write_file_atomic(*output, render_comparison(records));
            std::cout << "comparison: " << *output << "\n";
          }};
}

}  // namespace fashionseg::cli
