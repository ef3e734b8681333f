#include "fashionseg/data/garment_colors.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>
#include <random>
#include <utility>

#include "fashionseg/core/error.h"
#include "results/color_names.h"

namespace fashionseg {
namespace {

/// A category with fewer grid points than this is sampled at full resolution instead.
constexpr size_t kMinGridSamples = 16;
/// Clusters that k-means starts from; merging then leaves the colours that differ.
constexpr int kClusters = 5;
constexpr int kMaxIterations = 20;
/// Every random choice starts from this seed: the same photo always gives the same colours.
constexpr uint32_t kSeed = 20240518u;

void check_inputs(const cv::Mat& rgb, const cv::Mat& labels) {
  if (rgb.empty() || rgb.type() != CV_8UC3) {
    throw_input_error("garment colours need a non-empty 8-bit 3-channel RGB photo");
  }
  if (labels.type() != CV_8UC1 || labels.size() != rgb.size()) {
    throw_input_error("garment colours need an 8-bit label mask of the photo's size (" +
                      std::to_string(rgb.cols) + "x" + std::to_string(rgb.rows) + ")");
  }
}

/// The photo sampled on a coarse grid, with each grid point's distance (in grid points) to
/// the nearest point where the label changes.
struct Grid {
  cv::Mat rgb, labels;
  cv::Mat distance;     // CV_8UC1 (boundary_distance)
  double radius = 0.0;  // the border to skip, in grid points
};

/// `count` source positions in [0, length), one in each of `count` equal cells at a random
/// offset within it (fixed seed): a regular grid would alias with stripes of a similar
/// period and misjudge their shares.
std::vector<int> jittered_positions(int length, int count, std::mt19937& random) {
  std::vector<int> positions(static_cast<size_t>(count));
  std::uniform_real_distribution<double> offset(0.0, 1.0);
  const double cell = static_cast<double>(length) / count;
  for (int i = 0; i < count; ++i) {
    positions[i] = std::min(length - 1, static_cast<int>((i + offset(random)) * cell));
  }
  return positions;
}

/// Each point's city-block distance (in grid steps, saturating at 255) to the nearest point
/// on a boundary, where its 3x3 neighbourhood holds two labels. The photo's own edge is not a
/// boundary: nothing bleeds in from outside the frame. Two passes of the classic chamfer
/// scheme (cv::distanceTransform takes ten times as long on a grid this small).
cv::Mat boundary_distance(const cv::Mat& labels) {
  cv::Mat smallest, largest;
  cv::erode(labels, smallest, cv::Mat());
  cv::dilate(labels, largest, cv::Mat());
  cv::Mat distance(labels.size(), CV_8UC1);
  const int rows = labels.rows, cols = labels.cols;
  for (int y = 0; y < rows; ++y) {
    const uint8_t* lo = smallest.ptr<uint8_t>(y);
    const uint8_t* hi = largest.ptr<uint8_t>(y);
    uint8_t* d = distance.ptr<uint8_t>(y);
    const uint8_t* above = y > 0 ? distance.ptr<uint8_t>(y - 1) : nullptr;
    for (int x = 0; x < cols; ++x) {
      int value = 255;
      if (lo[x] != hi[x]) {
        value = 0;
      } else {
        if (x > 0) value = std::min(value, d[x - 1] + 1);
        if (above) value = std::min(value, above[x] + 1);
      }
      d[x] = static_cast<uint8_t>(value);
    }
  }
  for (int y = rows - 1; y >= 0; --y) {
    uint8_t* d = distance.ptr<uint8_t>(y);
    const uint8_t* below = y + 1 < rows ? distance.ptr<uint8_t>(y + 1) : nullptr;
    for (int x = cols - 1; x >= 0; --x) {
      int value = d[x];
      if (x + 1 < cols) value = std::min(value, d[x + 1] + 1);
      if (below) value = std::min(value, below[x] + 1);
      d[x] = static_cast<uint8_t>(value);
    }
  }
  return distance;
}

Grid make_grid(const cv::Mat& rgb, const cv::Mat& labels, const ColorOptions& options) {
  Grid grid;
  const int long_side = std::max(rgb.cols, rgb.rows);
  if (long_side > options.max_side) {
    const double scale = static_cast<double>(options.max_side) / long_side;
    const int width = std::max(1, static_cast<int>(std::lround(rgb.cols * scale)));
    const int height = std::max(1, static_cast<int>(std::lround(rgb.rows * scale)));
    // Single pixels, not averages: averaging would blend stripes into a third colour.
    std::mt19937 random(kSeed);
    const std::vector<int> xs = jittered_positions(rgb.cols, width, random);
    const std::vector<int> ys = jittered_positions(rgb.rows, height, random);
    grid.rgb.create(height, width, CV_8UC3);
    grid.labels.create(height, width, CV_8UC1);
    for (int y = 0; y < height; ++y) {
      const cv::Vec3b* rgb_row = rgb.ptr<cv::Vec3b>(ys[y]);
      const uint8_t* label_row = labels.ptr<uint8_t>(ys[y]);
      cv::Vec3b* rgb_out = grid.rgb.ptr<cv::Vec3b>(y);
      uint8_t* label_out = grid.labels.ptr<uint8_t>(y);
      for (int x = 0; x < width; ++x) {
        rgb_out[x] = rgb_row[xs[x]];
        label_out[x] = label_row[xs[x]];
      }
    }
  } else {
    grid.rgb = rgb;
    grid.labels = labels;
  }
  grid.distance = boundary_distance(grid.labels);
  grid.radius = options.border * std::max(grid.labels.cols, grid.labels.rows);
  return grid;
}

Lab lab_of(const cv::Vec3b& pixel) { return srgb_to_lab(pixel[0], pixel[1], pixel[2]); }

/// At most `limit` of `items`, chosen at random with a fixed seed (every k-th in raster order
/// would alias with stripes, as a regular grid does).
template <typename T>
std::vector<T> spread(std::vector<T> items, size_t limit) {
  if (items.size() <= limit) return items;
  std::mt19937 random(kSeed);
  for (size_t i = 0; i < limit; ++i) {
    const size_t j = i + random() % (items.size() - i);
    std::swap(items[i], items[j]);
  }
  items.resize(limit);
  return items;
}

/// Grid points of one category: index into the grid and distance to the nearest boundary.
struct Point {
  int index = 0;
  uint8_t distance = 0;
};

/// The CIELAB samples of one category from its grid points: those at least the border radius
/// from another label, or its more central half when it is too thin for that.
std::vector<Lab> interior_samples(const Grid& grid, const std::vector<Point>& points,
                                  const ColorOptions& options) {
  std::vector<uint8_t> distances;
  distances.reserve(points.size());
  for (const Point& p : points) distances.push_back(p.distance);
  auto middle = distances.begin() + static_cast<std::ptrdiff_t>(distances.size() / 2);
  std::nth_element(distances.begin(), middle, distances.end());
  const double threshold = std::min(grid.radius, static_cast<double>(*middle));
  std::vector<int> kept;
  for (const Point& p : points) {
    if (p.distance >= threshold) kept.push_back(p.index);
  }
  std::vector<Lab> samples;
  for (int index : spread(std::move(kept), static_cast<size_t>(options.max_samples))) {
    samples.push_back(lab_of(grid.rgb.at<cv::Vec3b>(index / grid.rgb.cols, index % grid.rgb.cols)));
  }
  return samples;
}

/// All pixels of a category too small for the grid, at full resolution, border included.
std::vector<Lab> full_resolution_samples(const cv::Mat& rgb, const cv::Mat& labels, int id,
                                         cv::Rect box, const ColorOptions& options) {
  const cv::Rect frame(0, 0, rgb.cols, rgb.rows);
  box = box.area() > 0 ? (box & frame) : frame;
  std::vector<cv::Point> found;
  for (int y = box.y; y < box.y + box.height; ++y) {
    const uint8_t* row = labels.ptr<uint8_t>(y);
    for (int x = box.x; x < box.x + box.width; ++x) {
      if (row[x] == id) found.emplace_back(x, y);
    }
  }
  std::vector<Lab> samples;
  for (const cv::Point& p : spread(std::move(found), static_cast<size_t>(options.max_samples))) {
    samples.push_back(lab_of(rgb.at<cv::Vec3b>(p)));
  }
  return samples;
}

/// A group of samples: the sums of their CIELAB values and how many there are.
struct Cluster {
  double L = 0, a = 0, b = 0;
  double count = 0;
  std::string name;

  Lab mean() const { return {L / count, a / count, b / count}; }
  void add(const Lab& x, double n = 1.0) {
    L += x.L * n;
    a += x.a * n;
    b += x.b * n;
    count += n;
  }
  void absorb(const Cluster& other) {
    L += other.L;
    a += other.a;
    b += other.b;
    count += other.count;
  }
};

/// Squared distance with lightness weighted by w.
double distance2(const Lab& x, const Lab& y, double w) {
  const double dL = w * (x.L - y.L), da = x.a - y.a, db = x.b - y.b;
  return dL * dL + da * da + db * db;
}

/// k-means in CIELAB with lightness weighted by w, seeded by k-means++ from a fixed seed (so
/// the same pixels always give the same colours). Returns the non-empty clusters.
std::vector<Cluster> kmeans(const std::vector<Lab>& samples, int k, double w) {
  std::mt19937 random(kSeed);
  std::vector<Lab> centres = {samples[random() % samples.size()]};
  std::vector<double> nearest(samples.size(), std::numeric_limits<double>::infinity());
  while (static_cast<int>(centres.size()) < k) {
    double total = 0.0;
    for (size_t i = 0; i < samples.size(); ++i) {
      nearest[i] = std::min(nearest[i], distance2(samples[i], centres.back(), w));
      total += nearest[i];
    }
    if (total <= 0.0) break;  // fewer distinct colours than k
    double pick = std::uniform_real_distribution<double>(0.0, total)(random);
    size_t chosen = samples.size() - 1;
    for (size_t i = 0; i < samples.size(); ++i) {
      pick -= nearest[i];
      if (pick < 0.0) {
        chosen = i;
        break;
      }
    }
    centres.push_back(samples[chosen]);
  }
  std::vector<int> assignment(samples.size(), -1);
  std::vector<Cluster> clusters;
  for (int iteration = 0; iteration < kMaxIterations; ++iteration) {
    bool changed = false;
    clusters.assign(centres.size(), Cluster{});
    for (size_t i = 0; i < samples.size(); ++i) {
      int best = 0;
      double best_distance = std::numeric_limits<double>::infinity();
      for (size_t c = 0; c < centres.size(); ++c) {
        const double d = distance2(samples[i], centres[c], w);
        if (d < best_distance) {
          best_distance = d;
          best = static_cast<int>(c);
        }
      }
      changed = changed || assignment[i] != best;
      assignment[i] = best;
      clusters[best].add(samples[i]);
    }
    for (size_t c = 0; c < centres.size(); ++c) {
      if (clusters[c].count > 0) centres[c] = clusters[c].mean();
    }
    if (!changed) break;
  }
  clusters.erase(std::remove_if(clusters.begin(), clusters.end(),
                                [](const Cluster& c) { return c.count == 0; }),
                 clusters.end());
  return clusters;
}

/// Merges the closest pair of clusters while they are nearer than `limit`: one colour that
/// k-means split (along a shading gradient, say) becomes one again.
void merge_close(std::vector<Cluster>& clusters, double limit, double w) {
  while (clusters.size() > 1) {
    size_t first = 0, second = 0;
    double best = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < clusters.size(); ++i) {
      for (size_t j = i + 1; j < clusters.size(); ++j) {
        const double d = distance2(clusters[i].mean(), clusters[j].mean(), w);
        if (d < best) best = d, first = i, second = j;
      }
    }
    if (best >= limit * limit) break;
    clusters[first].absorb(clusters[second]);
    clusters.erase(clusters.begin() + static_cast<std::ptrdiff_t>(second));
  }
}

/// Names each cluster and merges the clusters that got the same name.
std::vector<Cluster> name_and_merge(const std::vector<Cluster>& clusters) {
  std::vector<Cluster> named;
  for (Cluster cluster : clusters) {
    cluster.name = nearest_color_name(cluster.mean()).name;
    auto same = std::find_if(named.begin(), named.end(),
                             [&](const Cluster& c) { return c.name == cluster.name; });
    if (same == named.end()) {
      named.push_back(std::move(cluster));
    } else {
      same->absorb(cluster);
    }
  }
  return named;
}

std::vector<GarmentColor> colors_of(const std::vector<Lab>& samples, const ColorOptions& options) {
  if (samples.empty()) return {};
  std::vector<Cluster> clusters = kmeans(samples, kClusters, options.lightness_weight);
  merge_close(clusters, options.merge_distance, options.lightness_weight);
  clusters = name_and_merge(clusters);
  std::stable_sort(clusters.begin(), clusters.end(),
                   [](const Cluster& x, const Cluster& y) { return x.count > y.count; });
  std::vector<GarmentColor> colors;
  for (const Cluster& cluster : clusters) {
    const double share = cluster.count / static_cast<double>(samples.size());
    if (static_cast<int>(colors.size()) == options.max_colors) break;
    if (!colors.empty() && share < options.min_share) break;
    GarmentColor color;
    color.name = cluster.name;
    color.lab = cluster.mean();
    color.hex = srgb_hex(lab_to_srgb(color.lab));
    color.share = share;
    colors.push_back(std::move(color));
  }
  return colors;
}

}  // namespace

void validate_color_options(const ColorOptions& o) {
  if (o.max_colors < 1 || o.max_colors > 16) throw_config_error("max colours must be in [1, 16]");
  if (!(o.min_share >= 0.0 && o.min_share <= 1.0)) {
    throw_config_error("colour min share must be in [0, 1]");
  }
  if (o.max_side < 16) throw_config_error("colour grid side must be >= 16");
  if (!(o.border >= 0.0 && o.border < 0.5)) throw_config_error("colour border must be in [0, 0.5)");
  if (o.max_samples < 16) throw_config_error("colour samples must be >= 16");
  if (!(o.lightness_weight > 0.0 && o.lightness_weight <= 4.0)) {
    throw_config_error("colour lightness weight must be in (0, 4]");
  }
  if (!(o.merge_distance >= 0.0)) throw_config_error("colour merge distance must be >= 0");
}

std::vector<std::vector<GarmentColor>> garment_colors(const cv::Mat& rgb, const cv::Mat& labels,
                                                      const std::vector<FoundCategory>& categories,
                                                      const ColorOptions& options) {
  validate_color_options(options);
  check_inputs(rgb, labels);
  std::vector<std::vector<GarmentColor>> result(categories.size());
  if (categories.empty()) return result;
  const Grid grid = make_grid(rgb, labels, options);
  // One pass over the grid gathers every category's points.
  std::array<int, 256> slot;
  slot.fill(-1);
  for (size_t i = 0; i < categories.size(); ++i) {
    if (categories[i].id >= 0 && categories[i].id < 256)
      slot[categories[i].id] = static_cast<int>(i);
  }
  std::vector<std::vector<Point>> points(categories.size());
  for (int y = 0; y < grid.labels.rows; ++y) {
    const uint8_t* row = grid.labels.ptr<uint8_t>(y);
    const uint8_t* distance = grid.distance.ptr<uint8_t>(y);
    for (int x = 0; x < grid.labels.cols; ++x) {
      const int s = slot[row[x]];
      if (s >= 0) points[s].push_back({y * grid.labels.cols + x, distance[x]});
    }
  }
  for (size_t i = 0; i < categories.size(); ++i) {
    const FoundCategory& category = categories[i];
    const std::vector<Lab> samples =
        points[i].size() >= kMinGridSamples
            ? interior_samples(grid, points[i], options)
            : full_resolution_samples(rgb, labels, category.id, category.box, options);
    result[i] = colors_of(samples, options);
  }
  return result;
}

void add_garment_colors(const cv::Mat& rgb, const cv::Mat& labels,
                        std::vector<FoundCategory>& categories, const ColorOptions& options) {
  std::vector<std::vector<GarmentColor>> colors = garment_colors(rgb, labels, categories, options);
  for (size_t i = 0; i < categories.size(); ++i) categories[i].colors = std::move(colors[i]);
}

std::string colors_line(const FoundCategory& category) {
  std::string line = category.name;
  for (size_t i = 0; i < category.colors.size(); ++i) {
    const GarmentColor& color = category.colors[i];
    line += fmt::format("{}{} ({:.0f}%)", i == 0 ? ": " : ", ", color.name, 100.0 * color.share);
  }
  return line;
}

}  // namespace fashionseg
