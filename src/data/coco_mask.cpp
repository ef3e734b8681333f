#include "fashionseg/coco_mask.h"

#include <cmath>

#include <opencv2/imgproc.hpp>

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
      throw_input_error("compressed RLE decodes to count " + std::to_string(value) +
                            " at count " + std::to_string(counts.size() + 1),
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

std::vector<RleRun> rasterize_polygons(const std::vector<std::vector<double>>& polygons,
                                       int height, int width, const Location& where) {
  constexpr int kShift = 4;  // 1/16 pixel precision
  constexpr double kScale = 1 << kShift;
  std::vector<std::vector<cv::Point>> contours;
  for (size_t k = 0; k < polygons.size(); ++k) {
    const auto& polygon = polygons[k];
    const std::string which = "polygon " + std::to_string(k + 1);
    if (polygon.size() % 2 != 0) {
      throw_input_error(which + " has an odd number of coordinates (" +
                            std::to_string(polygon.size()) + ")",
                        where);
    }
    if (polygon.size() < 6) {
      throw_input_error(which + " has fewer than 3 points", where);
    }
    std::vector<cv::Point> points;
    for (size_t i = 0; i < polygon.size(); i += 2) {
      const double x = polygon[i], y = polygon[i + 1];
      if (!std::isfinite(x) || !std::isfinite(y) || std::abs(x) > 1e6 || std::abs(y) > 1e6) {
        throw_input_error(which + " has an invalid coordinate", where);
      }
      // Pixel centres sit at i + 0.5; shifting by -0.5 puts them on the integer grid that
      // fillPoly samples.
      points.emplace_back(int(std::lround((x - 0.5) * kScale)),
                          int(std::lround((y - 0.5) * kScale)));
    }
    contours.push_back(std::move(points));
  }
  cv::Mat mask = cv::Mat::zeros(height, width, CV_8UC1);
  if (!contours.empty()) cv::fillPoly(mask, contours, cv::Scalar(1), cv::LINE_8, kShift);
  return mask_to_runs(mask);
}

}  // namespace fashionseg
