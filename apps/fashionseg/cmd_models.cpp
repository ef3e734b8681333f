// `fashionseg models`: the registered architectures with their parameter counts and, with
// --size HxW, their compute cost at that input size.
#include <torch/torch.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "fashionseg/core/error.h"
#include "fashionseg/torch/flops.h"
#include "fashionseg/torch/model_registry.h"

namespace fashionseg::cli {

namespace {

struct ModelsOptions {
  int64_t classes = 47;
  bool aux = false;
  std::string size;  // "HxW"; empty = no GFLOPs column
};

// Parses "HxW" (e.g. 520x520) into {height, width}.
std::pair<int64_t, int64_t> parse_size(const std::string& text) {
  const auto x = text.find('x');
  try {
    if (x != std::string::npos) {
      size_t used_h = 0, used_w = 0;
      const int64_t height = std::stoll(text.substr(0, x), &used_h);
      const int64_t width = std::stoll(text.substr(x + 1), &used_w);
      if (used_h == x && used_w == text.size() - x - 1 && height > 0 && width > 0) {
        return {height, width};
      }
    }
  } catch (const std::exception&) {
  }
  throw_config_error("--size '" + text + "' is not HEIGHTxWIDTH", "e.g. --size 520x520");
}

std::string millions(int64_t count) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2fM", static_cast<double>(count) / 1e6);
  return text;
}

// One printed row.
struct ModelRow {
  std::string name;
  std::string parameters;
  std::string gflops;  // empty without --size
  std::string reference;
  std::string summary;
};

ModelRow describe(const ModelInfo& info, const ModelsOptions& options) {
  ModelOptions model_options;
  model_options.num_classes = options.classes;
  model_options.aux_head = options.aux && info.has_aux_head();
  const auto model = info.create(model_options);
  std::string gflops;
  if (!options.size.empty()) {
    const auto [height, width] = parse_size(options.size);
    char text[32];
    std::snprintf(text, sizeof(text), "%.2f",
                  static_cast<double>(count_model_macs(*model, height, width).total()) / 1e9);
    gflops = text;
  }
  return {info.name, millions(count_parameters(*model)), gflops,
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
  const bool with_gflops = !options.size.empty();
  std::cout << pad("model", name_width) << "  " << pad("params", 9) << "  "
            << (with_gflops ? pad("GFLOPs", 8) + "  " : "") << pad("reference (47 cl.)", 18)
            << "  summary\n";
  for (const auto& row : rows) {
    std::cout << pad(row.name, name_width) << "  " << pad(row.parameters, 9) << "  "
              << (with_gflops ? pad(row.gflops, 8) + "  " : "") << pad(row.reference, 18) << "  "
              << row.summary << "\n";
  }
  std::cout << "\nparams: trainable parameters with " << options.classes << " classes"
            << (options.aux ? " and the aux head where a model has one" : "") << ".\n";
  if (with_gflops) {
    std::cout << "GFLOPs: multiply-adds (1 multiply-add = 1 FLOP, as in torchvision's tables) "
                 "of convolutions and matrix products for one "
              << options.size << " image.\n";
  }
}

}  // namespace

Command add_models_command(CLI::App& root, const GlobalOptions& /*global*/) {
  CLI::App* app = root.add_subcommand("models", "List the model architectures and their sizes");
  auto options = std::make_shared<ModelsOptions>();
  app->add_option("--classes", options->classes, "Output classes (47 = background + 46)")
      ->check(CLI::PositiveNumber);
  app->add_flag("--aux", options->aux, "Count the auxiliary heads (FCN/DeepLabV3)");
  app->add_option("--size", options->size,
                  "Add a GFLOPs column: multiply-adds of one forward pass at HxW (e.g. 520x520)");
  return {app, [options] { print_models(*options); }};
}

}  // namespace fashionseg::cli
