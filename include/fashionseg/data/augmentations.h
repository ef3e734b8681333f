#pragma once
/// Augmentations for photos unlike the training set (OpenCV only, no torch): stronger
/// colour changes, grayscale, blur, JPEG re-compression, cutout rectangles, and a new
/// background behind the labelled person (plain colours and gradients like a studio or a
/// shop page, or another photo). None of them moves a pixel: a label mask stays aligned
/// with its photo (background replacement changes the labels only where it replaces the
/// photo's pixels with another labelled photo's). Drawn from a std::mt19937_64, so a seed
/// reproduces them. transforms.h places them in the training pipeline.

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include <opencv2/core.hpp>

namespace fashionseg {

/// Photometric augmentations beyond the colour jitter. Defaults switch everything off.
struct AppearanceOptions {
  double grayscale = 0.0;   ///< probability of turning the photo grey (3 equal channels)
  double blur = 0.0;        ///< probability of a Gaussian blur
  double blur_sigma = 2.0;  ///< the blur's sigma is drawn from [0.5, blur_sigma] pixels
  double jpeg = 0.0;        ///< probability of JPEG re-compression
  int jpeg_quality = 30;    ///< its quality is drawn from [jpeg_quality, 95]
  double gamma = 0.0;       ///< g > 0: gamma drawn log-uniformly from [1/(1+g), 1+g]
  double color_cast = 0.0;  ///< c > 0: each channel's gain drawn from [1-c, 1+c] (white balance)
  bool enabled() const {
    return grayscale > 0 || blur > 0 || jpeg > 0 || gamma > 0 || color_cast > 0;
  }
};

/// Drawn photometric changes (identity by default).
struct AppearancePlan {
  double gamma = 1.0;
  std::array<double, 3> gains{1.0, 1.0, 1.0};
  bool grayscale = false;
  double blur_sigma = 0.0;  ///< 0 = no blur
  int jpeg_quality = 0;     ///< 0 = no re-compression
};

/// Throws Error(kConfig) naming the field when an option is out of range.
void validate_appearance_options(const AppearanceOptions& options);

/// Draws the changes (each only when its option is on, in the order gamma, colour cast,
/// grayscale, blur, JPEG).
AppearancePlan draw_appearance(const AppearanceOptions& options, std::mt19937_64& rng);

/// Applies the changes in place, in the order drawn, to an 8-bit RGB image.
void apply_appearance(cv::Mat& rgb, const AppearancePlan& plan);

/// Background replacement for masked photos.
struct BackgroundOptions {
  double probability = 0.0;  ///< share of masked samples that get a new background
  /// Of those, the share that gets another masked photo of the split (with its labels) as
  /// background; the rest get a plain colour or a gradient (half each), labelled background.
  double photo_share = 0.5;
};

enum class BackgroundKind { kNone, kPhoto, kPlain, kGradient };

/// A drawn background.
struct BackgroundPlan {
  BackgroundKind kind = BackgroundKind::kNone;
  cv::Vec3b first{0, 0, 0};   ///< plain colour, or the gradient's start colour
  cv::Vec3b second{0, 0, 0};  ///< the gradient's end colour
  double angle = 0.0;         ///< the gradient's direction in radians
  uint64_t photo_seed = 0;    ///< kPhoto: picks and augments the other photo
};

/// Throws Error(kConfig) naming the field when an option is out of range.
void validate_background_options(const BackgroundOptions& options);

/// Draws whether and how to replace the background. Colours lean to the light, low-saturated
/// ones of studios and shop pages, with some of any colour.
BackgroundPlan draw_background(const BackgroundOptions& options, std::mt19937_64& rng);

/// A plain or gradient RGB image of `size` (kPlain / kGradient). Error(kInternal) for other
/// kinds.
cv::Mat render_background(cv::Size size, const BackgroundPlan& plan);

/// Puts the labelled person in front of a new background: where `mask` is 0 (background),
/// `image` takes `background`'s pixels and `mask` takes `background_mask`'s labels (0 where
/// it is empty); elsewhere (classes, and 255 = ignore or padding) both stay. The person's
/// outline is blended over one pixel so that it is not a hard cut. All of the same size.
void replace_background(cv::Mat& image, cv::Mat& mask, const cv::Mat& background,
                        const cv::Mat& background_mask = cv::Mat());

/// Cutout: up to `max_count` (at least 1 when max_count > 0) rectangles in an image of
/// `size`, each side drawn from [0.1, 0.4] of the image's.
std::vector<cv::Rect> draw_cutouts(cv::Size size, int max_count, std::mt19937_64& rng);

/// Fills the rectangles with `color` (the image only: labels stay, pixel positions match).
void apply_cutouts(cv::Mat& rgb, const std::vector<cv::Rect>& rects,
                   const std::array<uint8_t, 3>& color);

}  // namespace fashionseg
