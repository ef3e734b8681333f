// `fashionseg prepare`: a dataset (iMaterialist, COCO JSON or image/mask folders) -> masks/,
// index.csv, classes.json, stats.json and subsets (docs/formats.md).
#include <iostream>

#include "commands.h"
#include "fashionseg/coco.h"
#include "fashionseg/imaterialist.h"
#include "fashionseg/mask_folder.h"
#include "fashionseg/prepare.h"
#include "terminal_progress.h"

namespace fashionseg::cli {
namespace {

struct PrepareArguments {
  std::string imaterialist, coco, masks, images, csv, labels, classes, output;
  std::string label_space = "all", overlap = "smallest-on-top";
  bool parts_ignore = false, overwrite = false, no_size_check = false;
  double val_fraction = 0.1;
  uint64_t seed = 0;
  int64_t max_pixels = kDefaultMaxPixels;
};

std::unique_ptr<DatasetSource> open_source(const PrepareArguments& args) {
  const int chosen =
      int(!args.imaterialist.empty()) + int(!args.coco.empty()) + int(!args.masks.empty());
  if (chosen != 1) {
    throw_config_error("choose exactly one input: --imaterialist DIR, --coco FILE or --masks DIR");
  }
  if (!args.imaterialist.empty()) {
    ImaterialistPaths paths = ImaterialistPaths::in_folder(args.imaterialist);
    if (!args.csv.empty()) paths.csv = args.csv;
    if (!args.labels.empty()) paths.label_descriptions = args.labels;
    if (!args.images.empty()) paths.images = args.images;
    ImaterialistOptions options;
    options.check_image_sizes = !args.no_size_check;
    options.max_pixels = args.max_pixels;
    return open_imaterialist(paths, options);
  }
  if (!args.coco.empty()) {
    if (args.images.empty()) throw_config_error("--coco needs --images DIR (the photos)");
    CocoOptions options;
    options.check_image_sizes = !args.no_size_check;
    options.max_pixels = args.max_pixels;
    return open_coco(args.coco, args.images, options);
  }
  if (args.images.empty() || args.classes.empty()) {
    throw_config_error("--masks needs --images DIR and --classes FILE");
  }
  return open_mask_folders(args.images, args.masks, args.classes, args.max_pixels);
}

void run_prepare(const PrepareArguments& args, const GlobalOptions& global) {
  const auto source = open_source(args);
  const std::vector<std::string> folder_classes = source->semantic_class_names();
  if (!folder_classes.empty() && args.label_space != "all") {
    throw_config_error("image/mask folders keep their class list; --label-space does not apply");
  }
  const LabelSpace labels =
      folder_classes.empty()
          ? make_label_space(args.label_space, source->taxonomy(), args.parts_ignore)
          : make_identity_label_space(folder_classes);
  PrepareOptions options;
  options.output_dir = args.output;
  options.overlap = parse_overlap_policy(args.overlap);
  options.val_fraction = args.val_fraction;
  options.seed = args.seed;
  options.threads = global.threads;
  options.overwrite = args.overwrite;
  std::cout << "source: " << source->description() << " (" << source->photo_count() << " photos)\n"
            << "label space: " << labels.name() << " (" << labels.class_count() << " classes)\n";
  TerminalProgress progress;
  const PrepareSummary summary = prepare_dataset(*source, labels, options, progress);
  std::cout << "prepared " << summary.photos << " photos (" << summary.masks_written
            << " masks written, " << summary.masks_kept << " kept from an earlier run): train "
            << summary.train << ", val " << summary.val << "; subsets " << summary.subset_a << " + "
            << summary.subset_b << "\n"
            << "outputs in " << args.output
            << ": masks/, index.csv, classes.json, stats.json, subsets/\n";
}

}  // namespace

Command add_prepare_command(CLI::App& root, const GlobalOptions& global) {
  CLI::App* app = root.add_subcommand(
      "prepare",
      "Turn a dataset into one mask per photo plus index, classes, statistics and splits");
  auto args = std::make_shared<PrepareArguments>();
  app->add_option("--imaterialist", args->imaterialist,
                  "iMaterialist folder: train.csv, label_descriptions.json, train/ (2019 or 2020)");
  app->add_option("--coco", args->coco, "COCO / Fashionpedia JSON file (needs --images)");
  app->add_option("--masks", args->masks,
                  "Folder of PNG label masks named like the photos (needs --images, --classes)");
  app->add_option("--images", args->images, "Folder of photos (overrides the iMaterialist train/)");
  app->add_option("--csv", args->csv, "iMaterialist train.csv (overrides the folder's)");
  app->add_option("--labels", args->labels,
                  "iMaterialist label_descriptions.json (overrides the folder's)");
  app->add_option("--classes", args->classes,
                  "Class list for --masks: one name per line, line 1 = value 0");
  app->add_option("-o,--output", args->output, "Output folder")->required();
  app->add_option("--label-space", args->label_space, "all, main, or a YAML/JSON merge file")
      ->capture_default_str();
  app->add_flag("--parts-ignore", args->parts_ignore,
                "With --label-space main: garment parts -> 255 (ignore)");
  app->add_option("--overlap", args->overlap, "Overlap policy")
      ->capture_default_str()
      ->check(CLI::IsMember({"smallest-on-top", "largest-on-top", "file-order"}));
  app->add_option("--val-fraction", args->val_fraction, "Share of photos in the validation split")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app->add_option("--seed", args->seed, "Seed of the split and subsets")->capture_default_str();
  app->add_flag("--overwrite", args->overwrite, "Delete existing masks instead of resuming");
  app->add_option("--max-pixels", args->max_pixels,
                  "Largest photo (width x height); larger ones are refused before their mask "
                  "is made")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 34))
      ->capture_default_str();
  app->add_flag("--no-size-check", args->no_size_check,
                "Do not compare declared sizes with the image headers");
  return {app, [args, &global] { run_prepare(*args, global); }};
}

}  // namespace fashionseg::cli
