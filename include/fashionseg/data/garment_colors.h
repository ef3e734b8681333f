#pragma once
/// The dominant colours of each category found in a photo, named as a shop would name them:
/// "coat: burgundy (82%)". Computed on the photo's own pixels under the mask, in CIELAB,
/// away from the mask's border (where segmentation errors and background bleed sit), and
/// robust to shading. The method and the palette: docs/colors.md.

#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "fashionseg/data/found_categories.h"

namespace fashionseg {

/// How colours are found.
struct ColorOptions {
  int max_colors = 3;       ///< at most this many colours per category
  double min_share = 0.08;  ///< smaller colours are left out (the largest is always kept)
  /// The photo is sampled on a grid of at most this many points along its long side (nearest
  /// pixel, no blending, so stripes keep their colours).
  int max_side = 400;
  /// Pixels closer to another category than this share of the photo's long side are ignored;
  /// a category too thin for that keeps its more central half.
  double border = 0.01;
  int max_samples = 1200;  ///< pixels clustered per category, chosen at random (fixed seed)
  /// Weight of lightness against a* and b* when clustering: below 1, shading (which mostly
  /// changes lightness) does not split one colour into several.
  double lightness_weight = 0.5;
  /// Clusters closer than this (in the weighted CIELAB space) are one colour.
  double merge_distance = 10.0;
};

/// Throws Error(kConfig) naming the first option out of range.
void validate_color_options(const ColorOptions& options);

/// For each of `categories` (in order), its dominant colours, largest share first: at most
/// max_colors, each named from color_palette() by CIEDE2000 and with its share of the
/// category's sampled pixels. `rgb` is the 8-bit RGB photo (CV_8UC3) and `labels` its label
/// mask (CV_8UC1, same size). Throws Error(kInput) when they are not, Error(kConfig) for
/// invalid options. Deterministic.
std::vector<std::vector<GarmentColor>> garment_colors(const cv::Mat& rgb, const cv::Mat& labels,
                                                      const std::vector<FoundCategory>& categories,
                                                      const ColorOptions& options = {});

/// Sets `colors` of each category to garment_colors().
void add_garment_colors(const cv::Mat& rgb, const cv::Mat& labels,
                        std::vector<FoundCategory>& categories, const ColorOptions& options = {});

/// "coat: burgundy (82%), black (11%)": one category's colours as printed per photo; the
/// name alone when it has none.
std::string colors_line(const FoundCategory& category);

}  // namespace fashionseg
