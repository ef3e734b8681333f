#include "fashionseg/data/found_categories.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "fashionseg/core/error.h"

namespace fashionseg {
namespace {

void check_labels(const cv::Mat& labels) {
  if (labels.empty() || labels.type() != CV_8UC1) {
    throw_input_error("a label mask must be a non-empty 8-bit single-channel image");
  }
}

/// Pixel count and bounding box of every label value, in one pass over the mask.
struct ValueStats {
  std::array<int64_t, 256> counts{};
  std::array<int, 256> left, top, right, bottom;  // inclusive; valid where counts > 0
};

ValueStats value_stats(const cv::Mat& labels) {
  ValueStats stats;
  stats.left.fill(labels.cols);
  stats.top.fill(labels.rows);
  stats.right.fill(-1);
  stats.bottom.fill(-1);
  std::array<int64_t, 256> row_counts;
  for (int y = 0; y < labels.rows; ++y) {
    const uint8_t* row = labels.ptr<uint8_t>(y);
    row_counts.fill(0);
    for (int x = 0; x < labels.cols; ++x) {
      const uint8_t value = row[x];
      if (row_counts[value]++ == 0) stats.left[value] = std::min(stats.left[value], x);
      stats.right[value] = std::max(stats.right[value], x);
    }
    for (int value = 0; value < 256; ++value) {
      if (row_counts[value] == 0) continue;
      stats.counts[value] += row_counts[value];
      stats.top[value] = std::min(stats.top[value], y);
      stats.bottom[value] = y;
    }
  }
  return stats;
}

bool is_category(int value) { return value != 0 && value != 255; }

int64_t threshold(double fraction, int64_t total) {
  // At least one pixel: a zero rule still needs the category to be there.
  return std::max<int64_t>(1,
                           static_cast<int64_t>(std::ceil(fraction * static_cast<double>(total))));
}

/// Connected pieces of one label value with their stats (8-connected).
struct Components {
  cv::Mat ids, stats, centroids;
  int count = 0;  // including the background component 0
};

/// The bounding box of component i.
cv::Rect component_box(const Components& c, int i) {
  return {c.stats.at<int>(i, cv::CC_STAT_LEFT), c.stats.at<int>(i, cv::CC_STAT_TOP),
          c.stats.at<int>(i, cv::CC_STAT_WIDTH), c.stats.at<int>(i, cv::CC_STAT_HEIGHT)};
}

/// The pieces of `value` inside `region` (its bounding box: no piece reaches outside, so the
/// search skips the rest of the photo); stats are relative to the region.
Components components_of(const cv::Mat& labels, int value, const cv::Rect& region) {
  Components result;
  const cv::Mat binary = labels(region) == value;
  result.count = cv::connectedComponentsWithStats(binary, result.ids, result.stats,
                                                  result.centroids, 8, CV_32S);
  return result;
}

}  // namespace

MaskContents find_contents(const cv::Mat& labels, const std::vector<std::string>& class_names,
                           const AreaRule& rule, bool with_pieces) {
  return find_contents(labels, class_names, std::vector<double>(256, rule.min_area_fraction),
                       rule.piece_fraction, with_pieces);
}

MaskContents find_contents(const cv::Mat& labels, const std::vector<std::string>& class_names,
                           const std::vector<double>& min_area, double piece_fraction,
                           bool with_pieces) {
  check_labels(labels);
  const int64_t total = static_cast<int64_t>(labels.total());
  const ValueStats stats = value_stats(labels);
  const std::array<int64_t, 256>& counts = stats.counts;
  MaskContents contents;
  for (int value = 0; value < 256; ++value) {
    if (!is_category(value) || static_cast<size_t>(value) >= min_area.size() ||
        !(min_area[value] <= 1.0)) {
      continue;
    }
    const int64_t min_pixels = threshold(min_area[value], total);
    const int64_t min_piece = threshold(min_area[value] * piece_fraction, total);
    if (counts[value] < min_pixels) continue;
    FoundCategory category;
    category.id = value;
    category.name = static_cast<size_t>(value) < class_names.size()
                        ? class_names[value]
                        : "class_" + std::to_string(value);
    category.pixels = counts[value];
    category.share = static_cast<double>(counts[value]) / static_cast<double>(total);
    const cv::Rect region(stats.left[value], stats.top[value],
                          stats.right[value] - stats.left[value] + 1,
                          stats.bottom[value] - stats.top[value] + 1);
    const Components components = components_of(labels, value, region);
    std::vector<MaskPiece> pieces;
    cv::Rect box;
    for (int i = 1; i < components.count; ++i) {
      const cv::Rect local_box = component_box(components, i);
      const cv::Rect piece_box = local_box + region.tl();
      box = box.area() == 0 ? piece_box : (box | piece_box);
      const int area = components.stats.at<int>(i, cv::CC_STAT_AREA);
      if (area < min_piece) continue;
      ++category.instances;
      if (!with_pieces) continue;
      MaskPiece piece;
      piece.id = value;
      piece.mask = cv::Mat::zeros(labels.size(), CV_8UC1);
      // Only the box can hold the piece: compare there, 0/1 rather than 0/255.
      piece.mask(piece_box).setTo(1, components.ids(local_box) == i);
      piece.box = piece_box;
      piece.pixels = area;
      pieces.push_back(std::move(piece));
    }
    category.box = box;
    // A category above the area rule made only of specks is still one item.
    category.instances = std::max(category.instances, 1);
    contents.categories.push_back(std::move(category));
    std::stable_sort(pieces.begin(), pieces.end(),
                     [](const MaskPiece& a, const MaskPiece& b) { return a.pixels > b.pixels; });
    for (auto& piece : pieces) contents.pieces.push_back(std::move(piece));
  }
  std::stable_sort(
      contents.categories.begin(), contents.categories.end(),
      [](const FoundCategory& a, const FoundCategory& b) { return a.pixels > b.pixels; });
  return contents;
}

std::vector<FoundCategory> find_categories(const cv::Mat& labels,
                                           const std::vector<std::string>& class_names,
                                           const AreaRule& rule) {
  return find_contents(labels, class_names, rule).categories;
}

std::string categories_line(const std::vector<FoundCategory>& found) {
  if (found.empty()) return "(none)";
  std::string line;
  for (const auto& category : found) {
    if (!line.empty()) line += ", ";
    line += fmt::format("{} ({:.1f}%", category.name, 100.0 * category.share);
    if (category.confidence > 0) line += fmt::format(", {:.0f}% sure", 100.0 * category.confidence);
    line += ")";
  }
  return line;
}

}  // namespace fashionseg
