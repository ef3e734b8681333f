// `fashionseg evaluate`: score a checkpoint on a prepared dataset split.
#include <cmath>
#include <iomanip>
#include <iostream>

#include "commands.h"
#include "fashionseg/confusion_heatmap.h"
#include "fashionseg/dataset_index.h"
#include "fashionseg/error.h"
#include "fashionseg/evaluation.h"
#include "fashionseg/files.h"
#include "fashionseg/image_io.h"
#include "fashionseg/json_text.h"
#include "fashionseg/metrics_json.h"
#include "fashionseg/segmenter.h"
#include "terminal_progress.h"

namespace fashionseg::cli {
namespace {

struct EvaluateArguments {
  std::string model;
  std::string data;
  std::string split = "val";
  std::string output;
  std::string device = "cpu";
  bool flip = false;
  std::vector<double> scales;
  double window = 0.0;
  bool fast = false;
  double min_area = 0.001;
  bool min_area_given = false;
  int batch_size = 4;
  int workers = 2;
};

std::string cell(const nlohmann::json& value) {
  if (!value.is_number()) return "   -  ";
  std::ostringstream text;
  text << std::fixed << std::setprecision(4) << value.get<double>();
  return text.str();
}

void print_table(const nlohmann::json& metrics) {
  std::cout << std::left << std::setw(42) << "class"
            << "   IoU     Dice    Acc    Cat-F1  pixels\n";
  for (const auto& row : metrics["classes"]) {
    if (row["truth_pixels"].get<uint64_t>() == 0 && !row["iou"].is_number()) continue;
    std::cout << std::left << std::setw(42) << row["name"].get<std::string>() << cell(row["iou"])
              << "  " << cell(row["dice"]) << "  " << cell(row["accuracy"]) << "  "
              << cell(row["category_f1"]) << "  " << row["truth_pixels"].get<uint64_t>() << "\n";
  }
  std::cout << "\n";
  const nlohmann::json summary = metrics_summary_json(metrics);  // items() must not outlive it
  for (const auto& [key, value] : summary.items()) {
    std::cout << std::left << std::setw(22) << key
              << (value.is_number_float() ? cell(value) : value.dump()) << "\n";
  }
}

void run_evaluate(const EvaluateArguments& a) {
  SegmenterOptions segment;
  segment.device = a.device;
  segment.flip = a.flip;
  if (!a.scales.empty()) segment.scales = a.scales;
  segment.window_scale = a.window;
  segment.area_rule.min_area_fraction = a.min_area;
  segment.area_rule.overrides_calibration = a.min_area_given;
  if (a.fast && (!a.scales.empty() || a.window > 0.0)) {
    throw_config_error("--fast scores the model's input size only", "drop --scales / --window");
  }
  const Segmenter segmenter(a.model, segment);
  const PreparedDataset dataset = read_prepared_dataset(a.data);
  const std::vector<std::string>& names = segmenter.class_names();
  if (names.size() != dataset.class_names.size()) {
    throw_config_error("the model predicts " + std::to_string(names.size()) +
                       " classes, the dataset has " + std::to_string(dataset.class_names.size()));
  }
  // Tag-only photos are scored on their categories (not at the model's size: no masks).
  const std::vector<LoaderSample> samples = evaluation_samples(dataset, a.split, !a.fast);
  EvaluationOptions options;
  options.segment = segment;
  options.batch_size = a.batch_size;
  options.threads = a.workers;
  options.at_model_size = a.fast;
  TerminalProgress progress;
  const EvaluationResult result = evaluate_photos(segmenter, samples, options, &progress);
  nlohmann::json metrics = metrics_to_json(result.matrix, result.categories, names);
  if (result.tagged_images > 0) add_tag_scores(metrics, result.tag_categories, names);
  print_table(metrics);
  if (!a.output.empty()) {
    const std::filesystem::path out(a.output);
    write_file_atomic(out / "metrics.json", json_text(metrics, 2));
    write_file_atomic(out / "confusion.csv", confusion_matrix_csv(result.matrix, names));
    write_png(out / "confusion.png", draw_confusion_heatmap(result.matrix, names));
    std::cout << "\nwrote " << (out / "metrics.json").string() << ", confusion.csv, "
              << "confusion.png\n";
  }
}

}  // namespace

Command add_evaluate_command(CLI::App& root, const GlobalOptions& global) {
  CLI::App* app = root.add_subcommand("evaluate", "Score a checkpoint on a prepared dataset");
  auto args = std::make_shared<EvaluateArguments>();
  app->add_option("-m,--model", args->model, "Checkpoint (.fsm)")->required();
  app->add_option("-d,--data", args->data, "Prepared dataset folder")->required();
  app->add_option("--split", args->split, "train or val")->check(CLI::IsMember({"train", "val"}));
  app->add_option("-o,--output", args->output,
                  "Folder for metrics.json, confusion.csv and confusion.png");
  app->add_option("--device", args->device, "cpu, cuda or cuda:N")->capture_default_str();
  app->add_flag("--flip", args->flip, "Flip test-time augmentation (as predict --flip)");
  app->add_option("--scales", args->scales,
                  "Multi-scale test-time augmentation, e.g. 0.75,1,1.25 (as predict --scales)")
      ->delimiter(',');
  app->add_option("--window", args->window,
                  "Sliding window: fit the photo into this many times the model's input box "
                  "and cover it with overlapping windows (0 = off; as predict --window)")
      ->check(CLI::Range(0.0, 8.0));
  app->add_flag("--fast", args->fast,
                "Score at the model's input size instead of each photo's original size");
  app->add_option("--min-area", args->min_area,
                  "Share of a photo a category must cover to count as present")
      ->check(CLI::Range(0.0, 0.99));
  app->add_option("--batch-size", args->batch_size, "Photos per forward pass")
      ->check(CLI::Range(1, 256));
  app->add_option("--workers", args->workers, "Threads reading photos")->check(CLI::Range(1, 256));
  return {app, [args, app] {
            args->min_area_given = app->count("--min-area") > 0;
            run_evaluate(*args);
          }};
}

}  // namespace fashionseg::cli
