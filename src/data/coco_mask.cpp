#include "fashionseg/data/coco_mask.h"

#include <cmath>

#include <algorithm>

#include <opencv2/core.hpp>

namespace fashionseg {

std::vector<uint32_t> coco_counts_from_string(std::string_view text, const Location& where) {
  std::vector<uint32_t> counts;
  size_t p = 0;
  while (p < text.size()) {
    int64_t value = 0;
    int shift = 0;
    bool more = true;
    while (more) {
      if (p >= text.size()) {
        throw_input_error("compressed RLE ends inside a value", where);
      }
      const int c = static_cast<unsigned char>(text[p]) - 48;
      if (c < 0 || c > 63) {
        throw_input_error("compressed RLE has character '" + std::string(1, text[p]) +
                              "' at position " + std::to_string(p + 1) + " (allowed: '0'..'o')",
                          where);
      }
      if (shift > 60) throw_input_error("compressed RLE value too long", where);
      value |= int64_t(c & 0x1f) << shift;
      more = (c & 0x20) != 0;
      ++p;
      shift += 5;
      // The 0x10 bit of the last group is the sign: extend it.
      if (!more && (c & 0x10)) value |= int64_t(-1) * (int64_t(1) << shift);
    }
    if (counts.size() > 2) value += int64_t(counts[counts.size() - 2]);
    if (value < 0 || value > int64_t(UINT32_MAX)) {
      throw_input_error("compressed RLE decodes to count " + std::to_string(value) + " at count " +
                            std::to_string(counts.size() + 1),
                        where);
    }
    counts.push_back(uint32_t(value));
  }
  return counts;
}

std::string coco_counts_to_string(const std::vector<uint32_t>& counts) {
  std::string text;
  for (size_t i = 0; i < counts.size(); ++i) {
    int64_t value = counts[i];
    if (i > 2) value -= int64_t(counts[i - 2]);
    bool more = true;
    while (more) {
      int c = int(value & 0x1f);
      value >>= 5;  // arithmetic shift: negative values stay negative
      more = (c & 0x10) ? value != -1 : value != 0;
      if (more) c |= 0x20;
      text += char(c + 48);
    }
  }
  return text;
}

std::vector<RleRun> runs_from_coco_counts(const std::vector<uint32_t>& counts, int height,
                                          int width, const Location& where) {
  const uint64_t total = uint64_t(std::max(height, 0)) * uint64_t(std::max(width, 0));
  std::vector<RleRun> runs;
  uint64_t position = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (i % 2 == 1 && counts[i] > 0) runs.push_back({uint32_t(position), counts[i]});
    position += counts[i];
  }
  if (position != total) {
    throw_input_error("RLE counts sum to " + std::to_string(position) + " pixels but the size " +
                          std::to_string(width) + "x" + std::to_string(height) + " has " +
                          std::to_string(total),
                      where);
  }
  return runs;
}

std::vector<uint32_t> coco_counts_from_runs(const std::vector<RleRun>& runs, int height,
                                            int width) {
  std::vector<uint32_t> counts;
  uint64_t position = 0;
  for (const RleRun& run : runs) {
    counts.push_back(uint32_t(run.start - position));
    counts.push_back(run.length);
    position = uint64_t(run.start) + run.length;
  }
  const uint64_t total = uint64_t(height) * uint64_t(width);
  if (position < total || counts.empty()) counts.push_back(uint32_t(total - position));
  return counts;
}

std::vector<RleRun> rasterize_polygons(const std::vector<std::vector<double>>& polygons, int height,
                                       int width, const Location& where) {
  // A scanline fill sampling pixel centres (x + 0.5, y + 0.5), even-odd inside each polygon,
  // polygons united. cv::fillPoly was the first choice, but it fills every pixel an edge
  // touches, which grows each box by a pixel; pycocotools samples (close to) pixel centres.
  cv::Mat mask = cv::Mat::zeros(height, width, CV_8UC1);
  std::vector<double> crossings;
  for (size_t k = 0; k < polygons.size(); ++k) {
    const auto& polygon = polygons[k];
    const std::string which = "polygon " + std::to_string(k + 1);
    if (polygon.size() % 2 != 0) {
      throw_input_error(
          which + " has an odd number of coordinates (" + std::to_string(polygon.size()) + ")",
          where);
    }
    if (polygon.size() < 6) throw_input_error(which + " has fewer than 3 points", where);
    double y_min = polygon[1], y_max = polygon[1];
    for (size_t i = 0; i < polygon.size(); ++i) {
      if (!std::isfinite(polygon[i]) || std::abs(polygon[i]) > 1e7) {
        throw_input_error(which + " has an invalid coordinate", where);
      }
      if (i % 2 == 1) {
        y_min = std::min(y_min, polygon[i]);
        y_max = std::max(y_max, polygon[i]);
      }
    }
    const size_t points = polygon.size() / 2;
    const int first_row = std::max(0, int(std::floor(y_min)));
    const int last_row = std::min(height - 1, int(std::ceil(y_max)));
    for (int y = first_row; y <= last_row; ++y) {
      const double yc = y + 0.5;
      crossings.clear();
      for (size_t i = 0; i < points; ++i) {
        const size_t j = (i + 1) % points;
        const double xa = polygon[2 * i], ya = polygon[2 * i + 1];
        const double xb = polygon[2 * j], yb = polygon[2 * j + 1];
        if ((ya <= yc && yc < yb) || (yb <= yc && yc < ya)) {
          crossings.push_back(xa + (yc - ya) * (xb - xa) / (yb - ya));
        }
      }
      std::sort(crossings.begin(), crossings.end());
      uint8_t* row = mask.ptr<uint8_t>(y);
      for (size_t c = 0; c + 1 < crossings.size(); c += 2) {
        // Pixels whose centre x + 0.5 lies in [left, right).
        const int from = std::max(0, int(std::ceil(crossings[c] - 0.5)));
        const int to = std::min(width, int(std::ceil(crossings[c + 1] - 0.5)));
        for (int x = from; x < to; ++x) row[x] = 1;
      }
    }
  }
  return mask_to_runs(mask);
}

}  // namespace fashionseg
