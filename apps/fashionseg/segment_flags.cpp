#include "segment_flags.h"

namespace fashionseg::cli {

void SegmentFlags::add_to(CLI::App& app) {
  app.add_flag("--flip", flip, "Flip test-time augmentation: average with the mirrored photo");
  app.add_option("--scales", scales, "Multi-scale test-time augmentation, e.g. 0.75,1,1.25")
      ->delimiter(',');
  app.add_option("--window", window,
                 "Sliding window: fit the photo into this many times the model's input box "
                 "and cover it with overlapping windows (0 = off)")
      ->check(CLI::Range(0.0, 8.0));
  min_area_option =
      app.add_option("--min-area", min_area,
                     "Share of a photo a category must cover to count (given: replaces a "
                     "calibrated model's per-class areas)")
          ->check(CLI::Range(0.0, 0.99))
          ->capture_default_str();
  app.add_option("--precision", precision,
                 "fp32, bf16 (convolutions in bfloat16) or auto (bf16 where this CPU computes "
                 "it natively and the model gains from it)")
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}))
      ->capture_default_str();
}

void SegmentFlags::apply(SegmenterOptions& options) const {
  options.flip = flip;
  if (!scales.empty()) options.scales = scales;
  options.window_scale = window;
  options.precision = precision;
  options.area_rule.min_area_fraction = min_area;
  options.area_rule.overrides_calibration = min_area_option && min_area_option->count() > 0;
}

}  // namespace fashionseg::cli
