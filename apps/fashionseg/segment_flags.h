#pragma once
/// The segmentation flags that predict and evaluate share, defined once so that both
/// commands take them with the same names, ranges and meaning (evaluate scores what predict
/// writes for the same flags).

#include <CLI/CLI.hpp>

#include <vector>

#include "fashionseg/torch/segmenter.h"

namespace fashionseg::cli {

struct SegmentFlags {
  bool flip = false;
  std::vector<double> scales;  ///< empty = {1}
  double window = 0.0;         ///< 0 = off
  double min_area = 0.001;
  std::string precision = "auto";  ///< fp32, bf16 or auto (include/fashionseg/core/precision.h)
  CLI::Option* min_area_option = nullptr;  ///< set by add_to(): tells whether it was given

  /// Adds --flip, --scales, --window, --min-area and --precision to `app`.
  void add_to(CLI::App& app);
  /// Sets the flip, scales, window, precision and area rule of `options`; a --min-area that was
  /// given replaces a calibrated category rule's area thresholds (AreaRule::overrides_calibration).
  void apply(SegmenterOptions& options) const;
};

}  // namespace fashionseg::cli
