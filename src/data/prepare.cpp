#include "fashionseg/data/prepare.h"
#include "fashionseg/data/json_text.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <numeric>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "fashionseg/core/files.h"
#include "fashionseg/core/parallel.h"
#include "fashionseg/data/class_stats.h"
#include "fashionseg/data/image_io.h"

namespace fashionseg {
namespace fs = std::filesystem;
namespace {

uint64_t hash_id(const std::string& text, uint64_t seed) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  // splitmix64 finalizer, mixed with the seed: FNV alone is weak in its high bits.
  h ^= seed + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  h ^= h >> 30;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBull;
  h ^= h >> 31;
  return h;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

// Everything later steps need from one photo, kept after its annotations are dropped.
struct PhotoRecord {
  std::string image_id;
  fs::path image;
  std::string mask;  // relative to the output folder
  int width = 0, height = 0;
  PhotoHistogram histogram;
  std::vector<uint32_t> instances;  // per category index
};

// The manifest key listing tag and photo sources: recorded, but not part of the masks'
// settings (adding such sources to a prepared folder keeps its masks).
constexpr const char* kUnmaskedKey = "unmasked_sources";

nlohmann::json manifest_of(const DatasetSource* source, const LabelSpace& labels,
                           const PrepareOptions& options) {
  return {{"source", source ? source->description() : std::string("none")},
          {"label_space", labels.name()},
          {"classes", labels.class_names()},
          {"overlap", overlap_policy_name(options.overlap)}};
}

PhotoHistogram histogram_of(const cv::Mat& mask, size_t classes, const Location& where) {
  PhotoHistogram histogram;
  histogram.pixels.assign(classes, 0);
  uint64_t counts[256] = {};
  for (int y = 0; y < mask.rows; ++y) {
    const uint8_t* row = mask.ptr<uint8_t>(y);
    for (int x = 0; x < mask.cols; ++x) ++counts[row[x]];
  }
  for (int v = 0; v < 256; ++v) {
    if (counts[v] == 0) continue;
    if (v == kIgnoreValue) {
      histogram.ignored = counts[v];
    } else if (size_t(v) < classes) {
      histogram.pixels[size_t(v)] = counts[v];
    } else {
      throw_input_error("mask holds value " + std::to_string(v) + " outside the label space (" +
                            std::to_string(classes) + " classes)",
                        where, "delete the mask or prepare again with --overwrite");
    }
  }
  return histogram;
}

void check_output_settings(const fs::path& manifest_path, const nlohmann::json& manifest,
                           const PrepareOptions& options) {
  if (options.overwrite) {
    std::error_code ec;
    fs::remove_all(options.output_dir / "masks", ec);
    if (ec) throw_io_error("cannot clear " + (options.output_dir / "masks").string(), "");
    fs::remove(manifest_path, ec);
    return;
  }
  if (fs::is_regular_file(manifest_path)) {
    nlohmann::json previous;
    try {
      previous = nlohmann::json::parse(read_file(manifest_path));
    } catch (const nlohmann::json::exception&) {
      previous = nullptr;
    }
    if (previous.is_object()) previous.erase(kUnmaskedKey);
    if (previous != manifest) {
      throw Error(ErrorKind::kConfig,
                  "the output folder was prepared from another source or with other settings",
                  Location{manifest_path.string(), 0, ""},
                  "use --overwrite to start over, or another output folder");
    }
  } else if (fs::is_directory(options.output_dir / "masks") &&
             !fs::is_empty(options.output_dir / "masks")) {
    throw Error(ErrorKind::kConfig, "masks/ exists but prepare.json does not",
                Location{options.output_dir.string(), 0, ""},
                "use --overwrite to start over, or another output folder");
  }
}

// Size and label-space tags of one photo without a mask.
struct UnmaskedRecord {
  size_t source = 0, photo = 0;  // indices into PrepareInputs::unmasked and its photos
  int width = 0, height = 0;
  std::vector<int> tags;  // label-space values
};

// Every ImageId once over all sources: a photo in two sources would be trained twice, with
// two kinds of supervision. Mask names must be unique among the masked photos.
void check_unique_ids(const PrepareInputs& inputs) {
  std::unordered_map<std::string, std::string> owner;  // ImageId -> source description
  std::unordered_set<std::string> stems;
  if (inputs.masked) {
    const DatasetSource& source = *inputs.masked;
    for (size_t i = 0; i < source.photo_count(); ++i) {
      if (!stems.insert(mask_stem(source.image_id(i))).second) {
        throw_input_error(
            "two photos share the mask name '" + mask_stem(source.image_id(i)) + ".png'",
            Location{"", 0, "ImageId " + source.image_id(i)});
      }
      owner.emplace(source.image_id(i), source.description());
    }
  }
  for (const UnmaskedSource& source : inputs.unmasked) {
    for (const UnmaskedPhoto& photo : source.photos) {
      const auto [it, inserted] = owner.emplace(photo.image_id, source.description());
      if (!inserted) {
        throw_input_error("the photo is in two sources: this one and " + it->second, photo.where,
                          "give each photo one source");
      }
    }
  }
}

// Reads the size of every unmasked photo (decoding it: EXIF orientation decides the size
// the loader sees, and an undecodable photo fails here, naming it) and maps its tags.
std::vector<UnmaskedRecord> read_unmasked(const PrepareInputs& inputs, const LabelSpace& labels,
                                          const PrepareOptions& options, Progress& progress) {
  std::vector<UnmaskedRecord> records;
  for (size_t s = 0; s < inputs.unmasked.size(); ++s) {
    for (size_t p = 0; p < inputs.unmasked[s].photos.size(); ++p) {
      UnmaskedRecord record;
      record.source = s;
      record.photo = p;
      records.push_back(record);
    }
  }
  progress.start("photos without masks", records.size());
  parallel_for(records.size(), options.threads, [&](size_t i) {
    UnmaskedRecord& record = records[i];
    const UnmaskedPhoto& photo = inputs.unmasked[record.source].photos[record.photo];
    const cv::Mat rgb = decode_image_rgb(read_file(photo.image), photo.image.string());
    record.width = rgb.cols;
    record.height = rgb.rows;
    for (int id : photo.category_ids) {
      const uint8_t value = labels.value_of(id, photo.where);
      if (value != 0 && value != kIgnoreValue) record.tags.push_back(value);
    }
    std::sort(record.tags.begin(), record.tags.end());
    record.tags.erase(std::unique(record.tags.begin(), record.tags.end()), record.tags.end());
    progress.advance(1);
  });
  progress.finish();
  return records;
}

}  // namespace

std::string split_of(const std::string& image_id, uint64_t seed, double val_fraction) {
  const double u = double(hash_id(image_id, seed) >> 11) * (1.0 / 9007199254740992.0);
  return u < val_fraction ? "val" : "train";
}

std::string mask_stem(const std::string& image_id) { return fs::path(image_id).stem().string(); }

std::pair<std::vector<size_t>, std::vector<size_t>> stratified_subsets(
    const std::vector<std::string>& image_ids, const std::vector<std::vector<uint32_t>>& instances,
    uint64_t seed) {
  const size_t photos = image_ids.size();
  size_t categories = 0;
  for (const auto& counts : instances) categories = std::max(categories, counts.size());
  std::vector<size_t> order(photos);
  std::iota(order.begin(), order.end(), size_t(0));
  std::vector<uint64_t> keys(photos);
  for (size_t i = 0; i < photos; ++i) keys[i] = hash_id(image_ids[i], seed ^ 0x5b5e7ull);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return keys[a] != keys[b] ? keys[a] < keys[b] : image_ids[a] < image_ids[b];
  });
  std::vector<int> assigned(photos, -1);
  for (size_t c = 0; c < categories; ++c) {
    uint64_t total = 0;
    std::vector<size_t> with;
    for (size_t i : order) {
      const uint32_t n = c < instances[i].size() ? instances[i][c] : 0;
      total += n;
      if (n > 0) with.push_back(i);
    }
    const size_t take = std::min<size_t>(with.size(), size_t(total / 10));
    for (size_t k = 0; k < take; ++k) {
      const size_t i = with[k];
      if (assigned[i] < 0) assigned[i] = k < take / 2 ? 0 : 1;
    }
  }
  std::pair<std::vector<size_t>, std::vector<size_t>> subsets;
  for (size_t i = 0; i < photos; ++i) {
    if (assigned[i] == 0) subsets.first.push_back(i);
    if (assigned[i] == 1) subsets.second.push_back(i);
  }
  return subsets;
}

PrepareSummary prepare_dataset(const DatasetSource& source, const LabelSpace& labels,
                               const PrepareOptions& options, Progress& progress) {
  PrepareInputs inputs;
  inputs.masked = &source;
  return prepare_dataset(inputs, labels, options, progress);
}

PrepareSummary prepare_dataset(const PrepareInputs& inputs, const LabelSpace& labels,
                               const PrepareOptions& options, Progress& progress) {
  if (options.val_fraction < 0.0 || options.val_fraction > 1.0) {
    throw_config_error("--val-fraction must lie in [0, 1]");
  }
  if (!inputs.masked && inputs.unmasked.empty()) throw_config_error("prepare needs a source");
  const fs::path out = options.output_dir;
  const fs::path masks_dir = out / "masks";
  const fs::path manifest_path = out / "prepare.json";
  const nlohmann::json manifest = manifest_of(inputs.masked, labels, options);
  check_output_settings(manifest_path, manifest, options);
  std::error_code ec;
  fs::create_directories(masks_dir, ec);
  if (ec)
    throw Error(ErrorKind::kIo, "cannot create folder: " + ec.message(),
                Location{masks_dir.string(), 0, ""});
  remove_atomic_temps(out);
  remove_atomic_temps(masks_dir);
  nlohmann::json written_manifest = manifest;
  written_manifest[kUnmaskedKey] = nlohmann::json::array();
  for (const UnmaskedSource& source : inputs.unmasked) {
    written_manifest[kUnmaskedKey].push_back(source.description());
  }
  write_file_atomic(manifest_path, json_text(written_manifest, 2) + "\n");

  const size_t count = inputs.masked ? inputs.masked->photo_count() : 0;
  {
    std::unordered_set<std::string> stems;
    for (size_t i = 0; i < count; ++i) {
      const std::string id = inputs.masked->image_id(i);
      if (!stems.insert(mask_stem(id)).second) {
        throw_input_error("two photos share the mask name '" + mask_stem(id) + ".png'",
                          Location{"", 0, "ImageId " + id});
      }
    }
  }
  check_unique_ids(inputs);
  // Category index of each source category id (for instance counts).
  std::map<int, size_t> category_index;
  if (inputs.masked) {
    for (const auto& category : inputs.masked->taxonomy().categories) {
      category_index.emplace(category.id, category_index.size());
    }
  }
  const size_t classes = labels.class_count();

  std::vector<PhotoRecord> records(count);
  std::atomic<size_t> written{0}, kept{0};
  progress.start("prepare", count);
  parallel_for(count, options.threads, [&](size_t i) {
    PhotoAnnotations photo = inputs.masked->load(i);
    PhotoRecord& record = records[i];
    record.image_id = photo.image_id;
    record.image = fs::absolute(photo.image_path).lexically_normal();
    record.mask = "masks/" + mask_stem(photo.image_id) + ".png";
    record.width = photo.width;
    record.height = photo.height;
    record.instances.assign(category_index.size(), 0);
    for (const Instance& instance : photo.instances) {
      const auto found = category_index.find(instance.category_id);
      if (found != category_index.end()) ++record.instances[found->second];
    }
    const fs::path mask_path = out / record.mask;
    const Location where{mask_path.string(), 0, "ImageId " + photo.image_id};
    cv::Mat mask;
    if (fs::is_regular_file(mask_path)) {
      // A mask under its final name is complete (written atomically): reuse it if it fits.
      mask = read_label_mask(mask_path);
      if (mask.cols != photo.width || mask.rows != photo.height) mask.release();
    }
    if (mask.empty()) {
      mask = compose_mask(photo, labels, options.overlap);
      write_file_atomic(mask_path, encode_png(mask, false));
      ++written;
    } else {
      ++kept;
    }
    record.histogram = histogram_of(mask, classes, where);
    if (!photo.semantic_mask.empty()) {
      // Folders carry no instances: count each class present once.
      for (size_t c = 0; c < classes && c < record.instances.size(); ++c) {
        record.instances[c] = record.histogram.pixels[c] > 0 ? 1 : 0;
      }
    }
    progress.advance(1);
  });
  progress.finish();
  const std::vector<UnmaskedRecord> unmasked = read_unmasked(inputs, labels, options, progress);

  PrepareSummary summary;
  summary.photos = count + unmasked.size();
  summary.masks_written = written;
  summary.masks_kept = kept;
  summary.masked = count;
  if (inputs.masked) {
    summary.sources.push_back({inputs.masked->description(), "mask", count, 0, 0});
  }
  for (const UnmaskedSource& source : inputs.unmasked) {
    const bool tags = source.kind == UnmaskedSource::Kind::kTags;
    summary.sources.push_back(
        {source.description(), tags ? "tags" : "none", source.photos.size(), 0, 0});
    (tags ? summary.tagged : summary.unlabelled) += source.photos.size();
  }

  std::vector<std::string> ids(count);
  std::vector<std::vector<uint32_t>> instances(count);
  std::vector<PhotoHistogram> histograms(count);
  std::vector<std::vector<int>> tag_lists;
  std::string index = "image_id,image,mask,split,width,height,supervision,tags,source\n";
  const std::string masked_description = inputs.masked ? inputs.masked->description() : "";
  auto add_row = [&](const std::string& image_id, const fs::path& image, const std::string& mask,
                     int width, int height, const char* supervision, const std::vector<int>& tags,
                     const std::string& source, SourceSummary& source_summary) {
    const std::string split = split_of(image_id, options.seed, options.val_fraction);
    (split == "val" ? summary.val : summary.train) += 1;
    (split == "val" ? source_summary.val : source_summary.train) += 1;
    std::string tag_text;
    for (int value : tags) tag_text += (tag_text.empty() ? "" : " ") + std::to_string(value);
    index += csv_field(image_id) + "," + csv_field(image.string()) + "," + csv_field(mask) + "," +
             split + "," + std::to_string(width) + "," + std::to_string(height) + "," +
             supervision + "," + tag_text + "," + csv_field(source) + "\n";
  };
  for (size_t i = 0; i < count; ++i) {
    const PhotoRecord& record = records[i];
    add_row(record.image_id, record.image, record.mask, record.width, record.height, "mask", {},
            masked_description, summary.sources.front());
    ids[i] = record.image_id;
    instances[i] = record.instances;
    histograms[i] = record.histogram;
  }
  for (const UnmaskedRecord& record : unmasked) {
    const UnmaskedSource& source = inputs.unmasked[record.source];
    const bool tags = source.kind == UnmaskedSource::Kind::kTags;
    const UnmaskedPhoto& photo = source.photos[record.photo];
    add_row(photo.image_id, photo.image, "", record.width, record.height, tags ? "tags" : "none",
            record.tags, source.description(),
            summary.sources[record.source + (inputs.masked ? 1 : 0)]);
    if (tags) tag_lists.push_back(record.tags);
  }
  const auto [subset_a, subset_b] = stratified_subsets(ids, instances, options.seed);
  auto list_of = [&](const std::vector<size_t>& picked) {
    std::string text;
    for (size_t i : picked) text += ids[i] + "\n";
    return text;
  };
  write_file_atomic(out / "subsets" / "subset_a.txt", list_of(subset_a));
  write_file_atomic(out / "subsets" / "subset_b.txt", list_of(subset_b));
  summary.subset_a = subset_a.size();
  summary.subset_b = subset_b.size();

  nlohmann::json classes_json = {{"label_space", labels.name()},
                                 {"classes", labels.class_names()},
                                 {"ignore_value", int(kIgnoreValue)},
                                 {"overlap", overlap_policy_name(options.overlap)}};
  write_file_atomic(out / "classes.json", json_text(classes_json, 2) + "\n");
  ClassStatistics stats = compute_class_statistics(labels.name(), labels.class_names(), histograms);
  add_tag_counts(stats, tag_lists, summary.unlabelled);
  write_class_statistics(out / "stats.json", stats);
  // Last: a complete index.csv means a complete prepared folder.
  write_file_atomic(out / "index.csv", index);
  return summary;
}

}  // namespace fashionseg
