// `fashionseg evaluate`: score a checkpoint on a prepared dataset split.
#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>

#include "commands.h"
#include "fashionseg/core/error.h"
#include "fashionseg/core/files.h"
#include "fashionseg/data/confusion_heatmap.h"
#include "fashionseg/data/dataset_index.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/data/json_text.h"
#include "fashionseg/data/metrics_json.h"
#include "fashionseg/torch/evaluation.h"
#include "fashionseg/torch/segmenter.h"
#include "segment_flags.h"
#include "terminal_progress.h"

namespace fashionseg::cli {
namespace {

struct EvaluateArguments {
  std::string model;
  std::string data;
  std::string split = "val";
  std::string output;
  std::string device = "cpu";
  SegmentFlags segment;  ///< --flip, --scales, --window, --min-area (as predict)
  bool fast = false;
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
  // Tag-F1: the class found in a tag-only photo vs listed in its tags.
  const bool tags = metrics.contains("tag_categories");
  std::map<size_t, nlohmann::json> tag_f1;  // class value -> F1 on the tag-only photos
  if (tags) {
    for (const auto& row : metrics["tag_categories"]["classes"]) {
      tag_f1[row["value"].get<size_t>()] = row["f1"];
    }
  }
  std::cout << std::left << std::setw(42) << "class"
            << "   IoU     Dice    Acc    Cat-F1  " << (tags ? "Tag-F1  " : "") << "pixels\n";
  for (const auto& row : metrics["classes"]) {
    const auto found = tag_f1.find(row["value"].get<size_t>());
    const nlohmann::json tag = found == tag_f1.end() ? nlohmann::json() : found->second;
    const bool tagged = tag.is_number();
    if (row["truth_pixels"].get<uint64_t>() == 0 && !row["iou"].is_number() && !tagged) continue;
    std::cout << std::left << std::setw(42) << row["name"].get<std::string>() << cell(row["iou"])
              << "  " << cell(row["dice"]) << "  " << cell(row["accuracy"]) << "  "
              << cell(row["category_f1"]) << "  " << (tags ? cell(tag) + "  " : "")
              << row["truth_pixels"].get<uint64_t>() << "\n";
  }
  std::cout << "\n";
  const nlohmann::json summary = metrics_summary_json(metrics);  // items() must not outlive it
  for (const auto& [key, value] : summary.items()) {
    std::cout << std::left << std::setw(24) << key
              << (value.is_number_float() ? cell(value) : value.dump()) << "\n";
  }
}

void run_evaluate(const EvaluateArguments& a) {
  SegmenterOptions segment;
  segment.device = a.device;
  a.segment.apply(segment);
  if (a.fast && (!a.segment.scales.empty() || a.segment.window > 0.0)) {
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
  args->segment.add_to(*app);
  app->add_flag("--fast", args->fast,
                "Score at the model's input size instead of each photo's original size");
  app->add_option("--batch-size", args->batch_size, "Photos per forward pass")
      ->check(CLI::Range(1, 256));
  app->add_option("--workers", args->workers, "Threads reading photos")->check(CLI::Range(1, 256));
  return {app, [args] { run_evaluate(*args); }};
}

}  // namespace fashionseg::cli
