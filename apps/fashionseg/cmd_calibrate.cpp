// `fashionseg calibrate`: fits the per-class category rule (category_rule.h) of a model on a
// prepared split's photos with masks and with tags, and stores it in the checkpoint, so that
// predict, serve and evaluate list categories with calibrated thresholds and confidences.
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "commands.h"
#include "fashionseg/core/error.h"
#include "fashionseg/core/files.h"
#include "fashionseg/data/json_text.h"
#include "fashionseg/torch/checkpoint.h"
#include "fashionseg/torch/evaluation.h"
#include "fashionseg/torch/segmenter.h"
#include "terminal_progress.h"

namespace fashionseg::cli {
namespace {

struct CalibrateArguments {
  std::string model;
  std::string data;
  std::string split = "val";
  std::string output;
  std::string report;
  bool flip = false;
  bool half = false;
  bool temperature = true;
  int folds = 5;
  int min_positives = 5;
  double min_precision = 0.0;
  int batch_size = 4;
  int workers = 2;
};

std::string score(double value, int digits = 3) {
  if (std::isnan(value)) return "  -  ";
  std::ostringstream text;
  text << std::fixed << std::setprecision(digits) << value;
  return text.str();
}

double f1_of(uint64_t tp, uint64_t fp, uint64_t fn) {
  const double denominator = 2.0 * tp + fp + fn;
  return denominator > 0 ? 2.0 * tp / denominator : std::nan("");
}

nlohmann::json scores_json(const CategoryScores& s) {
  auto number = [](double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); };
  return {{"precision", number(s.micro_precision)},
          {"recall", number(s.micro_recall)},
          {"f1", number(s.micro_f1)},
          {"photos", s.photos}};
}

void run_calibrate(const CalibrateArguments& a) {
  namespace fs = std::filesystem;
  SegmenterOptions segment;
  segment.flip = a.flip;
  segment.colors = false;
  const Segmenter segmenter(a.model, segment);
  const PreparedDataset dataset = read_prepared_dataset(a.data);
  const std::vector<std::string>& names = segmenter.class_names();
  if (names != dataset.class_names) {
    throw_config_error("the model's classes differ from the dataset's",
                       "calibrate on a dataset prepared in the model's label space");
  }
  EvaluationOptions options;
  options.segment = segment;
  options.batch_size = a.batch_size;
  options.threads = a.workers;
  options.keep_evidence = true;
  TerminalProgress progress;
  const EvaluationResult result =
      evaluate_photos(segmenter, evaluation_samples(dataset, a.split, true), options, &progress);
  const std::vector<CalibrationPhoto>& photos = result.evidence;
  const int classes = static_cast<int>(names.size());

  CalibrationOptions calibration;
  calibration.fit_temperature = a.temperature && segmenter.has_category_head();
  calibration.min_positives = a.min_positives;
  calibration.min_precision = a.min_precision;
  Checkpoint checkpoint = load_checkpoint(a.model);
  // What the model decides today: its stored rule, or the area rule (with the head's 0.5).
  const CategoryThresholds before = checkpoint.category_rule.num_classes() == classes
                                        ? checkpoint.category_rule
                                        : CategoryThresholds::defaults(classes);
  const CategoryThresholds rule = calibrate_category_rule(photos, classes, calibration);
  const CategoryScores before_scores = score_category_rule(before, photos);
  const CategoryScores fitted_scores = score_category_rule(rule, photos);
  const int folds = std::min<int>(a.folds, static_cast<int>(photos.size()));
  const bool cross_validate = folds >= 2;
  CategoryScores held_out;
  if (cross_validate) held_out = cross_validated_scores(photos, classes, folds, calibration);

  std::cout << std::left << std::setw(34) << "class"
            << "photos  min_prob  min_area  F1 before"
            << "  F1 after\n";
  for (int c = 1; c < classes; ++c) {
    const uint64_t positives = fitted_scores.true_positives[c] + fitted_scores.false_negatives[c];
    if (positives == 0 && before_scores.false_positives[c] == 0) continue;
    std::cout << std::left << std::setw(34) << names[c] << std::setw(8) << positives
              << std::setw(10) << score(rule.min_probability[c]) << std::setw(10)
              << score(rule.min_area[c], 4) << std::setw(11)
              << score(f1_of(before_scores.true_positives[c], before_scores.false_positives[c],
                             before_scores.false_negatives[c]))
              << score(f1_of(fitted_scores.true_positives[c], fitted_scores.false_positives[c],
                             fitted_scores.false_negatives[c]))
              << "\n";
  }
  std::cout << "\n"
            << photos.size() << " photos (" << result.images << " with masks, "
            << result.tagged_images << " with tags only)"
            << (segmenter.has_category_head() ? ", category head"
                                              : ", no category head (areas only)")
            << ", temperature " << score(rule.temperature) << "\n";
  auto line = [](const char* what, const CategoryScores& s) {
    std::cout << std::left << std::setw(44) << what << "precision " << score(s.micro_precision)
              << "  recall " << score(s.micro_recall) << "  F1 " << score(s.micro_f1) << "\n";
  };
  line("before (the model's rule):", before_scores);
  line("calibrated, on the photos it was fitted on:", fitted_scores);
  if (cross_validate) {
    line((std::to_string(folds) + "-fold cross-validated (honest):").c_str(), held_out);
  }

  checkpoint.category_rule = rule;
  SaveCheckpointOptions save;
  save.half_precision_weights = a.half;
  save_checkpoint(checkpoint, a.output, save);
  std::cout << "wrote " << a.output << " with the calibrated category rule\n";
  if (!a.report.empty()) {
    nlohmann::json report = {{"model", a.model},
                             {"data", a.data},
                             {"split", a.split},
                             {"photos", photos.size()},
                             {"masked_photos", result.images},
                             {"tagged_photos", result.tagged_images},
                             {"category_head", segmenter.has_category_head()},
                             {"min_precision", a.min_precision},
                             {"rule", category_rule_to_json(rule)},
                             {"before", scores_json(before_scores)},
                             {"calibrated_in_sample", scores_json(fitted_scores)}};
    if (cross_validate) report["cross_validated"] = scores_json(held_out);
    write_file_atomic(a.report, json_text(report, 2));
  }
}

}  // namespace

Command add_calibrate_command(CLI::App& root, const GlobalOptions& global) {
  auto a = std::make_shared<CalibrateArguments>();
  CLI::App* app = root.add_subcommand(
      "calibrate",
      "Fit the per-class category thresholds (head probability, mask area) on a split and "
      "store them in the checkpoint");
  app->add_option("-m,--model", a->model, "Checkpoint (.fsm)")->required();
  app->add_option("-d,--data", a->data, "Prepared dataset folder (photos with masks or tags)")
      ->required();
  app->add_option("--split", a->split, "Split to calibrate on")->capture_default_str();
  app->add_option("-o,--output", a->output, "Checkpoint to write (may be the input)")->required();
  app->add_option("--report", a->report, "Also write the thresholds and scores as JSON here");
  app->add_flag("--flip", a->flip, "Average each photo with its mirror image (as predict --flip)");
  app->add_flag("--half", a->half, "Store the written checkpoint's weights as fp16");
  app->add_flag("!--no-temperature", a->temperature,
                "Keep the head's raw probabilities (no temperature fit)");
  app->add_option("--folds", a->folds, "Folds of the honest cross-validated estimate")
      ->check(CLI::Range(2, 100))
      ->capture_default_str();
  app->add_option("--min-positives", a->min_positives,
                  "Classes with fewer positive photos share pooled thresholds")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app->add_option("--min-precision", a->min_precision,
                  "Fit each class's thresholds for the best F1 among those at least this "
                  "precise on the calibration photos (fewer wrong categories, fewer found)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_option("--batch-size", a->batch_size, "Photos per forward pass")
      ->check(CLI::Range(1, 256));
  app->add_option("--workers", a->workers, "Threads reading photos")->check(CLI::Range(1, 256));
  return {app, [a] { run_calibrate(*a); }};
}

}  // namespace fashionseg::cli
