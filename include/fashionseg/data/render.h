#pragma once
/// Pictures of label masks: a fixed palette for every label value, colour masks, overlays on
/// the photo, a legend, and side-by-side panels (photo | truth | prediction).

#include <array>
#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace fashionseg {

/// The RGB colour of a label value. Fixed for all 256 values (not capped at 21 classes):
/// 0 (background) is black, 255 (ignore) is white, 1..46 are well separated hues, others
/// are derived deterministically.
std::array<uint8_t, 3> label_color(int value);

/// Colours a CV_8UC1 label mask into an RGB image (CV_8UC3).
cv::Mat colorize_mask(const cv::Mat& labels);

/// Blends the colour mask over an RGB photo of the same size: `opacity` in [0, 1] for labelled
/// pixels, background (0) and ignore (255) pixels keep the photo.
cv::Mat overlay_mask(const cv::Mat& rgb, const cv::Mat& labels, double opacity = 0.55);

/// A legend listing `values` with their colour swatch and name (names[value]), as an RGB
/// image `width` pixels wide, or wider when a name needs it.
cv::Mat draw_legend(const std::vector<int>& values, const std::vector<std::string>& names,
                    int width = 260);

/// Places RGB images side by side (scaled to the first one's height), separated by a gap,
/// with an optional caption above each.
cv::Mat side_by_side(const std::vector<cv::Mat>& images, const std::vector<std::string>& captions,
                     int gap = 6);

}  // namespace fashionseg

namespace fashionseg {

/// The overlay of `labels` on `rgb` with a legend of `values` (names[value]) to its right,
/// the legend scaled with the photo so it stays legible on large photos. RGB (CV_8UC3).
cv::Mat overlay_with_legend(const cv::Mat& rgb, const cv::Mat& labels,
                            const std::vector<int>& values, const std::vector<std::string>& names,
                            double opacity = 0.55);

/// One category cut out of the photo: RGBA (CV_8UC4) cropped to `box`, alpha 255 where
/// labels == value and 0 elsewhere.
cv::Mat category_cutout(const cv::Mat& rgb, const cv::Mat& labels, int value, cv::Rect box);

}  // namespace fashionseg
