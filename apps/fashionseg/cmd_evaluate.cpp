// `fashionseg evaluate`: score a checkpoint on a prepared dataset split.
#include <torch/torch.h>

#include <cmath>
#include <iomanip>
#include <iostream>

#include "commands.h"
#include "fashionseg/checkpoint.h"
#include "fashionseg/confusion_heatmap.h"
#include "fashionseg/dataset_index.h"
#include "fashionseg/error.h"
#include "fashionseg/evaluation.h"
#include "fashionseg/files.h"
#include "fashionseg/image_io.h"
#include "fashionseg/metrics_json.h"
#include "fashionseg/models.h"
#include "terminal_progress.h"

namespace fashionseg::cli {
namespace {

struct EvaluateArguments {
  std::string model;
  std::string data;
  std::string split = "val";
  std::string output;
  bool flip = false;
  bool fast = false;
  double min_area = 0.001;
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

}  // namespace

Command add_evaluate_command(CLI::App& root, const GlobalOptions& global) {
  CLI::App* app = root.add_subcommand("evaluate", "Score a checkpoint on a prepared dataset");
  auto args = std::make_shared<EvaluateArguments>();
  app->add_option("-m,--model", args->model, "Checkpoint (.fsm)")->required();
  app->add_option("-d,--data", args->data, "Prepared dataset folder")->required();
  app->add_option("--split", args->split, "train or val")->check(CLI::IsMember({"train", "val"}));
  app->add_option("-o,--output", args->output,
                  "Folder for metrics.json, confusion.csv and confusion.png");
  app->add_flag("--flip", args->flip, "Flip test-time augmentation");
  app->add_flag("--fast", args->fast,
                "Score at the model's input size instead of each photo's original size");
  app->add_option("--min-area", args->min_area,
                  "Share of a photo a category must cover to count as present")
      ->check(CLI::Range(0.0, 0.99));
  app->add_option("--batch-size", args->batch_size, "Photos per batch")->check(CLI::PositiveNumber);
  app->add_option("--workers", args->workers, "Loader threads")->check(CLI::PositiveNumber);
  return {app, [args] {
            const LoadedModel loaded = load_model(args->model);
            fold_batch_norms(*loaded.model);  // inference only: nothing is saved
            const PreparedDataset dataset = read_prepared_dataset(args->data);
            const int classes = static_cast<int>(loaded.checkpoint.class_names.size());
            if (static_cast<size_t>(classes) != dataset.class_names.size()) {
              throw_config_error("the model predicts " + std::to_string(classes) +
                                 " classes, the dataset has " +
                                 std::to_string(dataset.class_names.size()));
            }
            std::vector<LoaderSample> samples;
            // Pixel metrics: the photos with masks (tags-only photos have none).
            for (const auto& entry :
                 with_supervision(dataset.split(args->split), Supervision::kMask)) {
              samples.push_back({entry.image, entry.mask, entry.image_id});
            }
            if (samples.empty()) {
              throw_config_error("split '" + args->split + "' has no photos with masks");
            }
            const auto& pre = loaded.checkpoint.preprocessing;
            LoaderOptions loader_options;
            loader_options.batch_size = args->batch_size;
            loader_options.workers = args->workers;
            loader_options.normalization = pre.normalization;
            if (pre.input_height > 0 && pre.input_width > 0) {
              const cv::Size box(static_cast<int>(pre.input_width),
                                 static_cast<int>(pre.input_height));
              loader_options.transform.resize = ResizeMode::kFitBox;
              loader_options.transform.box = box;
              loader_options.transform.crop = box;
            } else {
              loader_options.batch_size = 1;  // any size: photos cannot share a batch
            }
            DataLoader loader(samples, loader_options);
            EvaluationOptions options;
            options.flip_tta = args->flip;
            options.min_area_fraction = args->min_area;
            if (!args->fast) options.original_samples = &samples;
            TerminalProgress progress;
            const EvaluationResult result =
                evaluate_model(*loaded.model, loader, classes, options, &progress);
            const nlohmann::json metrics =
                metrics_to_json(result.matrix, result.categories, loaded.checkpoint.class_names);
            print_table(metrics);
            if (!args->output.empty()) {
              const std::filesystem::path out(args->output);
              write_file_atomic(out / "metrics.json", metrics.dump(2));
              write_file_atomic(out / "confusion.csv",
                                confusion_matrix_csv(result.matrix, loaded.checkpoint.class_names));
              write_png(out / "confusion.png",
                        draw_confusion_heatmap(result.matrix, loaded.checkpoint.class_names));
              std::cout << "\nwrote " << (out / "metrics.json").string() << ", confusion.csv, "
                        << "confusion.png\n";
            }
          }};
}

}  // namespace fashionseg::cli
