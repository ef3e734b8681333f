// `fashionseg predict`: segment photos with a checkpoint (the bundled model by default) and
// write masks, overlays, per-photo JSON, cut-outs, a submission CSV, COCO results and logits.
#include <torch/torch.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.h"
#include "default_model.h"
#include "fashionseg/core/error.h"
#include "fashionseg/core/files.h"
#include "fashionseg/core/parallel.h"
#include "fashionseg/data/garment_colors.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/data/json_text.h"
#include "fashionseg/data/photo_inputs.h"
#include "fashionseg/data/prediction_formats.h"
#include "fashionseg/data/render.h"
#include "fashionseg/data/tag_comparison.h"
#include "fashionseg/torch/npy.h"
#include "fashionseg/torch/segmenter.h"
#include "segment_flags.h"

namespace fashionseg::cli {
namespace {
namespace fs = std::filesystem;

struct PredictArguments {
  std::vector<std::string> inputs;
  std::string list;
  std::string model;
  std::string output = "out/predict";
  std::string device = "cpu";
  std::string shard;
  SegmentFlags segment;  ///< --flip, --scales, --window, --min-area
  double opacity = 0.55;
  int batch_size = 4;
  int64_t max_pixels = kDefaultMaxPixels;
  bool recursive = false, quiet = false, no_colors = false;
  std::string tags;  ///< image-level tags to compare each photo's categories with
  bool mask = false, color = false, overlay = false, json = false, cutouts = false;
  bool csv = false, coco = false, logits = false, all = false;
};

/// The outputs chosen; mask, overlay and JSON when the user chose none.
void choose_default_outputs(PredictArguments& a) {
  if (a.all) a.mask = a.color = a.overlay = a.json = a.cutouts = a.csv = a.coco = a.logits = true;
  if (!(a.mask || a.color || a.overlay || a.json || a.cutouts || a.csv || a.coco || a.logits)) {
    a.mask = a.overlay = a.json = true;
  }
}

std::string slug(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

/// Writes every per-photo output chosen; returns the photo's JSON record.
nlohmann::json write_photo_outputs(const PredictArguments& a, const Segmenter& segmenter,
                                   const fs::path& photo, const std::string& stem,
                                   const cv::Mat& rgb, const Segmentation& result) {
  const fs::path out(a.output);
  nlohmann::json files = nlohmann::json::object();
  if (a.mask) {
    write_png(out / (stem + "_mask.png"), result.labels, false);
    files["mask"] = stem + "_mask.png";
  }
  if (a.color) {
    write_png(out / (stem + "_color.png"), colorize_mask(result.labels));
    files["color"] = stem + "_color.png";
  }
  std::vector<int> values;
  // The legend names each category with its colours: "coat: burgundy (82%)".
  std::vector<std::string> legend_names = segmenter.class_names();
  for (const auto& c : result.categories) {
    values.push_back(c.id);
    if (static_cast<size_t>(c.id) < legend_names.size()) legend_names[c.id] = colors_line(c);
  }
  if (a.overlay) {
    write_jpeg(out / (stem + "_overlay.jpg"),
               overlay_with_legend(rgb, result.labels, values, legend_names, a.opacity));
    files["overlay"] = stem + "_overlay.jpg";
  }
  if (a.cutouts) {
    nlohmann::json cutouts = nlohmann::json::array();
    for (const auto& c : result.categories) {
      const std::string name =
          stem + "_cutouts/" + std::to_string(c.id) + "_" + slug(c.name) + ".png";
      write_png(out / name, category_cutout(rgb, result.labels, c.id, c.box));
      cutouts.push_back(name);
    }
    files["cutouts"] = cutouts;
  }
  if (a.logits) {
    const cv::Mat& logits = result.input_logits;
    const torch::Tensor tensor = torch::from_blob(
        logits.data, {logits.size[0], logits.size[1], logits.size[2]}, torch::kFloat);
    write_npy(out / (stem + "_logits.npy"), tensor);
    files["logits"] = stem + "_logits.npy";
  }
  nlohmann::json record = {{"image", photo.string()},
                           {"width", rgb.cols},
                           {"height", rgb.rows},
                           {"architecture", segmenter.architecture()},
                           {"categories", categories_json(result.categories)},
                           {"outputs", files}};
  if (a.json) write_file_atomic(out / (stem + ".json"), json_text(record, 2));
  return record;
}

void run_predict(PredictArguments a, const GlobalOptions& global) {
  choose_default_outputs(a);
  std::vector<fs::path> photos = collect_photos(a.inputs, a.list, a.recursive);
  if (!a.shard.empty()) photos = take_shard(photos, parse_shard(a.shard));
  if (photos.empty()) throw_config_error("no photos to segment", "name files, folders or --list");
  SegmenterOptions options;
  options.device = a.device;
  a.segment.apply(options);
  options.confidence = a.coco;
  options.colors = !a.no_colors;
  options.pieces = a.csv || a.coco;
  options.input_logits = a.logits;
  const fs::path model_path = resolve_model_path(a.model);
  const Segmenter segmenter(model_path, options);
  fs::create_directories(a.output);
  const std::vector<std::string> stems = unique_stems(photos);
  const std::vector<int> category_ids = imaterialist_category_ids(segmenter.class_names());
  PhotoTags tags;
  if (!a.tags.empty()) {
    tags = read_photo_tags(a.tags, segmenter.class_names());
    if (!tags.outside_model.empty() && !a.quiet) {
      std::string names;
      for (const auto& name : tags.outside_model) names += (names.empty() ? "" : ", ") + name;
      std::cout << "tags the model cannot list (left out of the comparison): " << names << "\n";
    }
  }
  TagTotals tag_totals;
  std::mutex tag_totals_mutex;
  std::vector<std::string> csv_rows(photos.size());
  std::vector<nlohmann::json> coco(photos.size());
  std::vector<std::string> failures;
  std::mutex failures_mutex;
  if (!a.quiet) {
    std::cout << "model: " << model_path.string() << " (" << segmenter.architecture() << ", "
              << segmenter.class_names().size() << " classes, "
              << (segmenter.bf16() ? "bf16" : "fp32") << ")\n";
  }
  for (size_t first = 0; first < photos.size(); first += static_cast<size_t>(a.batch_size)) {
    const size_t count = std::min(photos.size() - first, static_cast<size_t>(a.batch_size));
    std::vector<cv::Mat> images(count);
    std::vector<std::string> errors(count);
    parallel_for(count, global.threads, [&](size_t k) {
      try {
        images[k] = read_image_rgb(photos[first + k], a.max_pixels);
      } catch (const Error& e) {
        errors[k] = e.what();
      }
    });
    std::vector<cv::Mat> readable;
    std::vector<size_t> which;
    for (size_t k = 0; k < count; ++k) {
      if (errors[k].empty()) {
        readable.push_back(images[k]);
        which.push_back(first + k);
      } else {
        std::cerr << "fashionseg: error: " << errors[k] << "\n";
        failures.push_back(photos[first + k].string());
      }
    }
    if (readable.empty()) continue;
    const std::vector<Segmentation> results = segmenter.segment_batch(readable);
    std::vector<std::string> lines(readable.size());
    parallel_for(readable.size(), global.threads, [&](size_t k) {
      const size_t i = which[k];
      try {
        write_photo_outputs(a, segmenter, photos[i], stems[i], readable[k], results[k]);
        const std::vector<MaskPiece>& pieces = results[k].pieces;
        if (a.csv) {
          csv_rows[i] =
              imaterialist_submission_rows(photos[i].filename().string(), pieces, category_ids);
        }
        if (a.coco) {
          coco[i] =
              coco_result_entries(photos[i].filename().string(), pieces, results[k].confidence);
        }
        lines[k] = photos[i].string() + ": " + categories_line(results[k].categories);
        for (const auto& c : results[k].categories) {
          if (!c.colors.empty()) lines[k] += "\n  " + colors_line(c);
        }
        const auto tagged = tags.by_image.find(photos[i].filename().string());
        if (tagged != tags.by_image.end()) {
          const TagComparison comparison = compare_with_tags(results[k].categories, tagged->second);
          lines[k] += "\n" + comparison_line(comparison, segmenter.class_names());
          std::lock_guard<std::mutex> lock(tag_totals_mutex);
          tag_totals.add(comparison);
        }
      } catch (const Error& e) {
        std::lock_guard<std::mutex> lock(failures_mutex);
        std::cerr << "fashionseg: error: " << photos[i].string() << ": " << e.what() << "\n";
        failures.push_back(photos[i].string());
      }
    });
    if (!a.quiet) {
      for (const auto& line : lines) {
        if (!line.empty()) std::cout << line << "\n";
      }
    }
  }
  const fs::path out(a.output);
  if (a.csv) {
    std::string csv = imaterialist_submission_header();
    for (const auto& rows : csv_rows) csv += rows;
    write_file_atomic(out / "submission.csv", csv);
  }
  if (a.coco) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& entries : coco) {
      if (entries.is_array()) all.insert(all.end(), entries.begin(), entries.end());
    }
    write_file_atomic(out / "coco_results.json", json_text(all));
  }
  if (tag_totals.photos > 0) std::cout << totals_line(tag_totals) << "\n";
  const size_t done = photos.size() - failures.size();
  std::cout << "segmented " << done << " of " << photos.size() << " photos; results in "
            << out.string() << "\n";
  if (!failures.empty()) {
    throw_input_error(std::to_string(failures.size()) + " of " + std::to_string(photos.size()) +
                      " photos could not be segmented (first: " + failures.front() + ")");
  }
}

}  // namespace

Command add_predict_command(CLI::App& root, const GlobalOptions& global) {
  CLI::App* app = root.add_subcommand(
      "predict", "Segment photos: masks, overlays and the categories found in each");
  auto a = std::make_shared<PredictArguments>();
  app->add_option("inputs", a->inputs, "Photos, folders or glob patterns");
  app->add_option("--list", a->list, "A file listing photos, one per line");
  app->add_flag("-r,--recursive", a->recursive, "Search folders recursively");
  app->add_option("-m,--model", a->model, "Checkpoint (.fsm); default: the bundled model");
  app->add_option("-o,--output", a->output, "Output folder")->capture_default_str();
  app->add_option("--device", a->device, "cpu, cuda or cuda:N")->capture_default_str();
  app->add_option("--shard", a->shard, "Process shard i of n (i/n), e.g. 0/4");
  app->add_option("--batch-size", a->batch_size, "Photos per forward pass")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app->add_option("--max-pixels", a->max_pixels,
                  "Largest photo (width x height); larger ones are reported and skipped")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 34))
      ->capture_default_str();
  a->segment.add_to(*app);
  app->add_option("--opacity", a->opacity, "Overlay opacity")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_flag("--mask", a->mask, "Write <photo>_mask.png (class ids)");
  app->add_flag("--color", a->color, "Write <photo>_color.png (fixed palette)");
  app->add_flag("--overlay", a->overlay, "Write <photo>_overlay.jpg with a legend");
  app->add_flag("--json", a->json, "Write <photo>.json (categories, shares, boxes, instances)");
  app->add_flag("--cutouts", a->cutouts, "Write one RGBA cut-out per category");
  app->add_flag("--csv", a->csv,
                "Write submission.csv (iMaterialist: ImageId,EncodedPixels,ClassId)");
  app->add_flag("--coco", a->coco, "Write coco_results.json (RLE)");
  app->add_flag("--logits", a->logits, "Write <photo>_logits.npy (raw logits of the model input)");
  app->add_flag("--all", a->all, "Write every output");
  app->add_option("--tags", a->tags,
                  "Tag CSV (ImageId,ClassIds: iMaterialist category ids or names): print, for each "
                  "photo listed there, the tagged categories found, missed and added, and a "
                  "summary line");
  app->add_flag("--no-colors", a->no_colors,
                "Do not name the colours of each category (in the JSON, the legend and the "
                "printed summary)");
  app->add_flag("-q,--quiet", a->quiet, "Print only the summary");
  return {app, [a, &global] { run_predict(*a, global); }};
}

}  // namespace fashionseg::cli
