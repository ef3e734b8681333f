#include "fashionseg/data/class_stats.h"
#include "fashionseg/data/json_text.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "fashionseg/core/error.h"
#include "fashionseg/core/files.h"

namespace fashionseg {
namespace {

double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

}  // namespace

ClassStatistics compute_class_statistics(const std::string& label_space,
                                         const std::vector<std::string>& class_names,
                                         const std::vector<PhotoHistogram>& photos) {
  const size_t classes = class_names.size();
  ClassStatistics stats;
  stats.label_space = label_space;
  stats.class_names = class_names;
  stats.photo_count = photos.size();
  stats.pixels.assign(classes, 0);
  stats.photos.assign(classes, 0);
  std::vector<uint64_t> pixels_of_photos_with(classes, 0);
  std::vector<double> complement_sum(classes, 0.0);
  for (const PhotoHistogram& photo : photos) {
    if (photo.pixels.size() != classes)
      throw Error(ErrorKind::kInternal, "histogram size mismatch");
    uint64_t labelled = 0;
    for (uint64_t count : photo.pixels) labelled += count;
    stats.labelled_pixels += labelled;
    stats.ignored_pixels += photo.ignored;
    for (size_t c = 0; c < classes; ++c) {
      if (photo.pixels[c] == 0) continue;
      stats.pixels[c] += photo.pixels[c];
      stats.photos[c] += 1;
      pixels_of_photos_with[c] += labelled;
      complement_sum[c] += 1.0 - double(photo.pixels[c]) / double(labelled);
    }
  }
  size_t present = 0;
  std::vector<double> frequencies;
  for (size_t c = 0; c < classes; ++c) {
    if (stats.pixels[c] == 0) continue;
    ++present;
    frequencies.push_back(double(stats.pixels[c]) / double(pixels_of_photos_with[c]));
  }
  const double median_frequency = median(frequencies);
  stats.pixel_share.assign(classes, 0.0);
  stats.inverse_frequency.assign(classes, 0.0);
  stats.median_frequency.assign(classes, 0.0);
  stats.enet.assign(classes, 0.0);
  stats.mean_complement.assign(classes, 0.0);
  for (size_t c = 0; c < classes; ++c) {
    if (stats.pixels[c] == 0) continue;
    const double p = double(stats.pixels[c]) / double(stats.labelled_pixels);
    stats.pixel_share[c] = p;
    stats.inverse_frequency[c] = 1.0 / (double(present) * p);
    stats.median_frequency[c] =
        median_frequency / (double(stats.pixels[c]) / double(pixels_of_photos_with[c]));
    stats.enet[c] = 1.0 / std::log(1.02 + p);
    stats.mean_complement[c] = complement_sum[c] / double(stats.photos[c]);
  }
  return stats;
}

void add_tag_counts(ClassStatistics& stats, const std::vector<std::vector<int>>& tagged_photos,
                    size_t unlabelled_photos) {
  stats.tagged.assign(stats.class_names.size(), 0);
  for (const auto& tags : tagged_photos) {
    for (int value : tags) {
      if (value >= 0 && size_t(value) < stats.tagged.size()) ++stats.tagged[size_t(value)];
    }
  }
  stats.tagged_photo_count = tagged_photos.size();
  stats.unlabelled_photo_count = unlabelled_photos;
}

void write_class_statistics(const std::filesystem::path& path, const ClassStatistics& stats) {
  nlohmann::json json;
  json["label_space"] = stats.label_space;
  json["photos"] = stats.photo_count;
  json["labelled_pixels"] = stats.labelled_pixels;
  json["ignored_pixels"] = stats.ignored_pixels;
  json["tagged_photos"] = stats.tagged_photo_count;
  json["unlabelled_photos"] = stats.unlabelled_photo_count;
  json["weight_definitions"] = {
      {"inverse_frequency", "1 / (K p_c), K = classes present, p_c = pixel share"},
      {"median_frequency", "median(f) / f_c, f_c = pixels of c / labelled pixels of photos with c"},
      {"enet", "1 / ln(1.02 + p_c)"},
      {"mean_complement", "mean over photos containing c of (1 - pixel share of c in the photo)"}};
  nlohmann::json classes = nlohmann::json::array();
  for (size_t c = 0; c < stats.class_names.size(); ++c) {
    classes.push_back({{"value", c},
                       {"name", stats.class_names[c]},
                       {"photos", stats.photos[c]},
                       {"pixels", stats.pixels[c]},
                       {"pixel_share", stats.pixel_share[c]},
                       {"tagged", c < stats.tagged.size() ? stats.tagged[c] : 0},
                       {"weights",
                        {{"inverse_frequency", stats.inverse_frequency[c]},
                         {"median_frequency", stats.median_frequency[c]},
                         {"enet", stats.enet[c]},
                         {"mean_complement", stats.mean_complement[c]}}}});
  }
  json["classes"] = classes;
  write_file_atomic(path, json_text(json, 2) + "\n");
}

ClassStatistics read_class_statistics(const std::filesystem::path& path) {
  const std::string text = read_file(path);
  ClassStatistics stats;
  try {
    const auto json = nlohmann::json::parse(text);
    stats.label_space = json.at("label_space").get<std::string>();
    stats.photo_count = json.at("photos").get<size_t>();
    stats.labelled_pixels = json.at("labelled_pixels").get<uint64_t>();
    stats.ignored_pixels = json.at("ignored_pixels").get<uint64_t>();
    stats.tagged_photo_count = json.value("tagged_photos", size_t(0));
    stats.unlabelled_photo_count = json.value("unlabelled_photos", size_t(0));
    for (const auto& entry : json.at("classes")) {
      stats.class_names.push_back(entry.at("name").get<std::string>());
      stats.photos.push_back(entry.at("photos").get<uint64_t>());
      stats.pixels.push_back(entry.at("pixels").get<uint64_t>());
      stats.pixel_share.push_back(entry.at("pixel_share").get<double>());
      if (entry.contains("tagged")) stats.tagged.push_back(entry["tagged"].get<uint64_t>());
      const auto& weights = entry.at("weights");
      stats.inverse_frequency.push_back(weights.at("inverse_frequency").get<double>());
      stats.median_frequency.push_back(weights.at("median_frequency").get<double>());
      stats.enet.push_back(weights.at("enet").get<double>());
      stats.mean_complement.push_back(weights.at("mean_complement").get<double>());
    }
  } catch (const nlohmann::json::exception& e) {
    throw_input_error(std::string("malformed stats file: ") + e.what(),
                      Location{path.string(), 0, ""});
  }
  return stats;
}

}  // namespace fashionseg
