// `fashionseg models`: the registered architectures with their parameter counts.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "fashionseg/models.h"

namespace fashionseg::cli {

namespace {

struct ModelsOptions {
  int64_t classes = 47;
  bool aux = false;
};

std::string millions(int64_t count) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2fM", static_cast<double>(count) / 1e6);
  return text;
}

// One printed row. Compute-cost columns (GFLOPs at a given input size) belong here, next to
// the parameter count, once the model I/O work provides a FLOP counter.
struct ModelRow {
  std::string name;
  std::string parameters;
  std::string reference;
  std::string summary;
};

ModelRow describe(const ModelInfo& info, const ModelsOptions& options) {
  ModelOptions model_options;
  model_options.num_classes = options.classes;
  model_options.aux_head = options.aux;
  const auto model = info.create(model_options);
  return {info.name, millions(count_parameters(*model)),
          millions(info.reference_parameters) +
              (info.reference_tolerance == 0.0 ? " (exact)" : " (paper)"),
          info.summary};
}

void print_models(const ModelsOptions& options) {
  std::vector<ModelRow> rows;
  for (const auto& info : list_models()) rows.push_back(describe(info, options));
  size_t name_width = 5;
  for (const auto& row : rows) name_width = std::max(name_width, row.name.size());
  auto pad = [](std::string text, size_t width) {
    text.resize(std::max(width, text.size()), ' ');
    return text;
  };
  std::cout << pad("model", name_width) << "  " << pad("params", 9) << "  "
            << pad("reference (47 cl.)", 18) << "  summary\n";
  for (const auto& row : rows) {
    std::cout << pad(row.name, name_width) << "  " << pad(row.parameters, 9) << "  "
              << pad(row.reference, 18) << "  " << row.summary << "\n";
  }
  std::cout << "\nparams: trainable parameters with " << options.classes << " classes"
            << (options.aux ? " and the aux head where a model has one" : "") << ".\n";
}

}  // namespace

Command add_models_command(CLI::App& root, const GlobalOptions& /*global*/) {
  CLI::App* app = root.add_subcommand("models", "List the model architectures and their sizes");
  auto options = std::make_shared<ModelsOptions>();
  app->add_option("--classes", options->classes, "Output classes (47 = background + 46)")
      ->check(CLI::PositiveNumber);
  app->add_flag("--aux", options->aux, "Count the auxiliary heads (FCN/DeepLabV3)");
  return {app, [options] { print_models(*options); }};
}

}  // namespace fashionseg::cli
