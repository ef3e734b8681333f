#pragma once
// Helpers shared by the data tests: fixture paths, masks from row text, error matching.

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "fashionseg/core/error.h"
#include "support/test_support.h"

namespace fashionseg::test {

/// tests/fixtures/<name>
inline std::filesystem::path fixture(const std::string& name) {
  return source_dir() / "tests" / "fixtures" / name;
}

/// A row-major CV_8UC1 mask from rows of values.
inline cv::Mat mask_of(const std::vector<std::vector<int>>& rows) {
  cv::Mat mask(int(rows.size()), int(rows.front().size()), CV_8UC1);
  for (int y = 0; y < mask.rows; ++y) {
    for (int x = 0; x < mask.cols; ++x)
      mask.at<uint8_t>(y, x) = uint8_t(rows[size_t(y)][size_t(x)]);
  }
  return mask;
}

/// True when both masks have the same size and pixels.
inline bool same_mask(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::countNonZero(a != b) == 0;
}

/// Runs `body`, expects a fashionseg::Error whose text holds every one of `parts`.
inline void expect_error(const std::function<void()>& body, const std::vector<std::string>& parts,
                         ErrorKind kind = ErrorKind::kInput) {
  try {
    body();
    ADD_FAILURE() << "no error thrown; expected one mentioning '" << parts.front() << "'";
  } catch (const Error& e) {
    EXPECT_EQ(int(e.kind()), int(kind)) << e.what();
    for (const auto& part : parts)
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

}  // namespace fashionseg::test
