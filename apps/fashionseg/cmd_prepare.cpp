// `fashionseg prepare`: a dataset (iMaterialist, COCO JSON or image/mask folders), tag files
// and unlabelled photo folders -> masks/, index.csv, classes.json, stats.json and subsets
// (docs/formats.md).
#include <iostream>

#include "commands.h"
#include "fashionseg/data/coco.h"
#include "fashionseg/data/image_tags.h"
#include "fashionseg/data/imaterialist.h"
#include "fashionseg/data/mask_folder.h"
#include "fashionseg/data/prepare.h"
#include "terminal_progress.h"

namespace fashionseg::cli {
namespace {

struct PrepareArguments {
  std::string imaterialist, coco, masks, images, csv, labels, classes, output;
  std::vector<std::string> tags, unlabelled;
  std::string tag_images;
  std::string label_space = "all", overlap = "smallest-on-top";
  bool parts_ignore = false, overwrite = false, no_size_check = false;
  double val_fraction = 0.1;
  uint64_t seed = 0;
  int64_t max_pixels = kDefaultMaxPixels;
};

// The masked source, or null when only tags and unlabelled photos are given.
std::unique_ptr<DatasetSource> open_source(const PrepareArguments& args) {
  const int chosen =
      int(!args.imaterialist.empty()) + int(!args.coco.empty()) + int(!args.masks.empty());
  if (chosen > 1) {
    throw_config_error(
        "choose at most one masked input: --imaterialist DIR, --coco FILE or "
        "--masks DIR");
  }
  if (chosen == 0) {
    if (args.tags.empty() && args.unlabelled.empty()) {
      throw_config_error(
          "choose an input: --imaterialist DIR, --coco FILE or --masks DIR, "
          "and/or --tags, --unlabelled");
    }
    return nullptr;
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

// The taxonomy of the tags: the masked source's, or label_descriptions.json (--labels).
Taxonomy tag_taxonomy(const DatasetSource* source, const PrepareArguments& args) {
  if (source) return source->taxonomy();
  if (args.labels.empty()) {
    throw_config_error("without a masked source, tags and label spaces need a taxonomy",
                       "give --labels label_descriptions.json");
  }
  return read_label_descriptions(args.labels);
}

std::vector<UnmaskedSource> open_unmasked(const PrepareArguments& args, const Taxonomy& taxonomy) {
  if (!args.tag_images.empty() && args.tags.size() != 1) {
    throw_config_error("--tag-images goes with exactly one --tags");
  }
  std::vector<UnmaskedSource> sources;
  for (const std::string& given : args.tags) {
    sources.push_back(read_tag_file(TagPaths::resolve(given, args.tag_images), taxonomy));
  }
  for (const std::string& folder : args.unlabelled) {
    sources.push_back(list_unlabelled_photos(folder));
  }
  return sources;
}

void run_prepare(const PrepareArguments& args, const GlobalOptions& global) {
  const auto source = open_source(args);
  const Taxonomy taxonomy = tag_taxonomy(source.get(), args);
  const std::vector<std::string> folder_classes =
      source ? source->semantic_class_names() : std::vector<std::string>{};
  if (!folder_classes.empty() && args.label_space != "all") {
    throw_config_error("image/mask folders keep their class list; --label-space does not apply");
  }
  const LabelSpace labels = folder_classes.empty()
                                ? make_label_space(args.label_space, taxonomy, args.parts_ignore)
                                : make_identity_label_space(folder_classes);
  PrepareInputs inputs;
  inputs.masked = source.get();
  inputs.unmasked = open_unmasked(args, taxonomy);
  PrepareOptions options;
  options.output_dir = args.output;
  options.overlap = parse_overlap_policy(args.overlap);
  options.val_fraction = args.val_fraction;
  options.seed = args.seed;
  options.threads = global.threads;
  options.overwrite = args.overwrite;
  std::cout << "label space: " << labels.name() << " (" << labels.class_count() << " classes)\n";
  TerminalProgress progress;
  const PrepareSummary summary = prepare_dataset(inputs, labels, options, progress);
  for (const SourceSummary& s : summary.sources) {
    std::cout << "source: " << s.description << " (" << s.supervision << "): " << s.photos
              << " photos, train " << s.train << ", val " << s.val << "\n";
  }
  std::cout << "prepared " << summary.photos << " photos (" << summary.masks_written
            << " masks written, " << summary.masks_kept << " kept from an earlier run; "
            << summary.masked << " with masks, " << summary.tagged << " with tags, "
            << summary.unlabelled << " unlabelled): train " << summary.train << ", val "
            << summary.val << "; subsets " << summary.subset_a << " + " << summary.subset_b << "\n"
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
  app->add_option("--tags", args->tags,
                  "Image-level tags: a CSV ImageId,ClassIds (ids or names), or a folder holding "
                  "tags.csv and photos/ (repeatable)");
  app->add_option("--tag-images", args->tag_images,
                  "Photo folder of the one --tags CSV (default: photos/ beside it)");
  app->add_option("--unlabelled,--unlabeled", args->unlabelled,
                  "Folder of photos with no labels at all (repeatable)");
  app->add_option("--csv", args->csv, "iMaterialist train.csv (overrides the folder's)");
  app->add_option("--labels", args->labels,
                  "iMaterialist label_descriptions.json (overrides the folder's; the taxonomy of "
                  "the tags when there is no masked source)");
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
