#include "fashionseg/data/rle.h"

#include <algorithm>
#include <cstring>

#include <opencv2/core.hpp>

namespace fashionseg {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

[[noreturn]] void fail(const std::string& message, const Location& where) {
  throw_input_error("bad EncodedPixels: " + message, where,
                    "expected 'start length' pairs, 1-based column-major starts, increasing");
}

// Walks the text once, handing each validated 0-based run to `emit`. Validation is part of
// the walk so decoding never needs a second pass.
template <typename Emit>
void walk_runs(std::string_view text, int height, int width, const Location& where, Emit&& emit) {
  if (height <= 0 || width <= 0) {
    fail("image size " + std::to_string(width) + "x" + std::to_string(height) + " is not positive",
         where);
  }
  const uint64_t total = uint64_t(height) * uint64_t(width);
  const char* p = text.data();
  const char* const end = p + text.size();
  uint64_t next_free = 0;  // first pixel a following run may start at
  size_t field = 0;
  uint64_t start = 0;
  while (true) {
    while (p < end && is_space(*p)) ++p;
    if (p == end) break;
    uint64_t value = 0;
    const char* digits = p;
    while (p < end && static_cast<unsigned>(*p - '0') < 10u) {
      value = value * 10 + uint64_t(*p - '0');
      if (value > total + 1) {
        // Keep scanning digits only to report; the number is already too large.
        while (p < end && static_cast<unsigned>(*p - '0') < 10u) ++p;
        break;
      }
      ++p;
    }
    if (p == digits || (p < end && !is_space(*p))) {
      const char* stop = p;
      while (stop < end && !is_space(*stop)) ++stop;
      fail("field " + std::to_string(field + 1) + " '" + std::string(digits, stop) +
               "' is not a non-negative integer",
           where);
    }
    if (field % 2 == 0) {
      if (value == 0)
        fail("field " + std::to_string(field + 1) + ": start 0 (starts are 1-based)", where);
      start = value - 1;
    } else {
      if (value == 0) {
        fail("run " + std::to_string(field / 2 + 1) + " (start " + std::to_string(start + 1) +
                 ") has length 0",
             where);
      }
      if (start < next_free) {
        fail("run " + std::to_string(field / 2 + 1) + " (start " + std::to_string(start + 1) +
                 ") overlaps or precedes the previous run",
             where);
      }
      if (start + value > total) {
        fail("run " + std::to_string(field / 2 + 1) + " (start " + std::to_string(start + 1) +
                 ", length " + std::to_string(value) + ") ends past the image (" +
                 std::to_string(width) + "x" + std::to_string(height) + " = " +
                 std::to_string(total) + " pixels)",
             where);
      }
      emit(uint32_t(start), uint32_t(value));
      next_free = start + value;
    }
    ++field;
  }
  if (field % 2 != 0) {
    fail("odd number of fields (" + std::to_string(field) + "): the last start has no length",
         where);
  }
}

}  // namespace

std::vector<RleRun> parse_kaggle_rle(std::string_view text, int height, int width,
                                     const Location& where) {
  std::vector<RleRun> runs;
  walk_runs(text, height, width, where, [&](uint32_t start, uint32_t length) {
    runs.push_back({start, length});
  });
  return runs;
}

size_t decode_kaggle_rle_into(std::string_view text, int height, int width, uint8_t value,
                              uint8_t* column_major, const Location& where) {
  size_t painted = 0;
  walk_runs(text, height, width, where, [&](uint32_t start, uint32_t length) {
    std::memset(column_major + start, value, length);
    painted += length;
  });
  return painted;
}

namespace {

// Paints a column-major run into a row-major mask: walk down the column, wrap to the next.
// No per-pixel division, and only the run's pixels are touched (a transpose of the whole
// image costs more than decoding a typical instance).
inline void paint_run_row_major(uint32_t start, uint32_t length, uint8_t value, uint8_t* data,
                                size_t step, uint32_t height) {
  uint32_t x = start / height, y = start % height;
  while (length > 0) {
    const uint32_t here = std::min(length, height - y);
    uint8_t* p = data + size_t(y) * step + x;
    for (uint32_t k = 0; k < here; ++k, p += step) *p = value;
    length -= here;
    y = 0;
    ++x;
  }
}

}  // namespace

cv::Mat decode_kaggle_rle(std::string_view text, int height, int width, const Location& where) {
  cv::Mat mask = cv::Mat::zeros(std::max(height, 1), std::max(width, 1), CV_8UC1);
  walk_runs(text, height, width, where, [&](uint32_t start, uint32_t length) {
    paint_run_row_major(start, length, 1, mask.data, mask.step[0], uint32_t(height));
  });
  return mask;
}

std::string format_kaggle_rle(const std::vector<RleRun>& runs) {
  std::string text;
  text.reserve(runs.size() * 12);
  for (const RleRun& run : runs) {
    if (!text.empty()) text += ' ';
    text += std::to_string(uint64_t(run.start) + 1);
    text += ' ';
    text += std::to_string(run.length);
  }
  return text;
}

std::vector<RleRun> mask_to_runs(const cv::Mat& mask) {
  CV_Assert(mask.type() == CV_8UC1);
  if (mask.empty()) return {};
  cv::Mat column_major;
  cv::transpose(mask, column_major);  // rows of column_major are columns of mask
  std::vector<RleRun> runs;
  const size_t total = column_major.total();
  const uint8_t* data = column_major.ptr<uint8_t>();
  // transpose output is continuous, so the whole image is one 1-D scan.
  size_t i = 0;
  while (i < total) {
    while (i < total && data[i] == 0) ++i;
    if (i == total) break;
    const size_t start = i;
    while (i < total && data[i] != 0) ++i;
    runs.push_back({uint32_t(start), uint32_t(i - start)});
  }
  return runs;
}

std::string encode_kaggle_rle(const cv::Mat& mask) { return format_kaggle_rle(mask_to_runs(mask)); }

void paint_runs(const std::vector<RleRun>& runs, uint8_t value, cv::Mat& mask) {
  CV_Assert(mask.type() == CV_8UC1);
  const size_t total = mask.total();
  for (const RleRun& run : runs) {
    CV_Assert(size_t(run.start) + run.length <= total);
    paint_run_row_major(run.start, run.length, value, mask.data, mask.step[0], uint32_t(mask.rows));
  }
}

size_t run_area(const std::vector<RleRun>& runs) {
  size_t area = 0;
  for (const RleRun& run : runs) area += run.length;
  return area;
}

}  // namespace fashionseg
