#pragma once
/// Joint image / label-mask transforms for training and evaluation (OpenCV only, no torch).
///
/// Conventions: images are 8-bit RGB (CV_8UC3), masks 8-bit labels (CV_8UC1) of the same size
/// or empty (inference). Masks are only ever resized nearest-neighbour (cv::INTER_NEAREST),
/// so a transformed mask holds only values of the input mask plus 255 (ignore) where padding
/// was added. All randomness comes from the std::mt19937_64 passed in, so a seed reproduces a
/// result exactly.

#include <array>
#include <cstdint>
#include <opencv2/core.hpp>
#include <random>
#include <vector>

#include "fashionseg/data/augmentations.h"

namespace fashionseg {

/// An image and its label mask, transformed together.
struct ImageMask {
  cv::Mat image;  ///< CV_8UC3 RGB
  cv::Mat mask;   ///< CV_8UC1 labels, same size as image; empty when there is no mask
};

/// The mask value written where padding is added (the ignore label).
inline constexpr uint8_t kMaskPadValue = 255;

/// The ImageNet mean colour in 8-bit RGB: padding with it gives ~0 after normalisation.
inline constexpr std::array<uint8_t, 3> kMeanPadColor{124, 116, 104};

/// The deterministic resize applied first (in training, before the random scale).
enum class ResizeMode {
  kNone,       ///< keep the size
  kShortSide,  ///< scale so the shorter side equals `short_side` (aspect preserved)
  kFitBox,     ///< scale so the image fits inside `box` (aspect preserved, may enlarge)
};

/// Colour jitter strengths with torchvision ColorJitter's meaning; 0 switches a part off.
struct ColorJitterOptions {
  double brightness = 0.0;  ///< factor drawn from [max(0, 1-b), 1+b]; pixels * factor
  double contrast = 0.0;    ///< factor from [max(0, 1-c), 1+c]; blend with the mean grey
  double saturation = 0.0;  ///< factor from [max(0, 1-s), 1+s]; blend with the pixel's grey
  double hue = 0.0;         ///< shift from [-h, h] of a full turn (h <= 0.5)
  bool enabled() const { return brightness > 0 || contrast > 0 || saturation > 0 || hue > 0; }
};

/// Drawn jitter factors (identity by default).
struct ColorJitterFactors {
  double brightness = 1.0;
  double contrast = 1.0;
  double saturation = 1.0;
  double hue = 0.0;  ///< fraction of a full turn
};

/// Zoomed-in training crops: close-ups such as an upper body or a detail, far past the
/// random scale range. The window is centred on the focus (the labelled person of a masked
/// photo, else the whole photo).
struct ZoomOptions {
  double probability = 0.0;  ///< share of training samples zoomed in instead of scaled
  /// Zoom factor range, relative to the deterministic resize (the whole photo in the box).
  double scale_min = 1.5;
  double scale_max = 4.0;
  /// Share of zoomed crops centred in the upper 35% of the focus (upper body); the others
  /// are centred anywhere on it (a detail).
  double upper = 0.5;
};

/// Options of the training and evaluation pipelines. Defaults do nothing.
struct TransformOptions {
  /// First, deterministic resize (default none).
  ResizeMode resize = ResizeMode::kNone;
  /// kShortSide: the shorter side after resizing, in pixels.
  int short_side = 0;
  /// kFitBox: the box (width, height) the image must fit in.
  cv::Size box{0, 0};
  /// Training: random scale factor drawn uniformly from [scale_min, scale_max] and applied
  /// after the resize (default 1, 1: none).
  double scale_min = 1.0;
  double scale_max = 1.0;
  /// Training: size (width, height) of the random crop, padded where the scaled image is
  /// smaller; evaluation: the size to pad to (right and bottom). {0,0} = no crop / no pad.
  cv::Size crop{0, 0};
  /// Evaluation without `crop`: pad right/bottom up to a multiple of this (0 or 1 = off).
  int pad_to_multiple = 0;
  /// Training: probability of a horizontal flip (default 0).
  double flip_probability = 0.0;
  /// Training: photometric jitter (default off).
  ColorJitterOptions jitter;
  /// Training: zoomed-in crops (default off).
  ZoomOptions zoom;
  /// Training: gamma, colour cast, grayscale, blur, JPEG (default off).
  AppearanceOptions appearance;
  /// Training: new backgrounds behind masked photos (default off).
  BackgroundOptions background;
  /// Training: strong views get up to this many cutout rectangles (0 = none).
  int cutout = 0;
  /// Colour of image padding (default the ImageNet mean; {0,0,0} for black).
  std::array<uint8_t, 3> image_pad_color = kMeanPadColor;
};

/// The evaluation transform of a model whose input box is `box` (width x height): fit into
/// the box (aspect kept, may enlarge), then pad right and bottom to `canvas` (the box when
/// {0,0}; larger for a sliding window). A box of 0 x 0 (a model that takes any size) keeps
/// the size and pads only to a given canvas. Every place that prepares a photo for a model
/// (the inference engine, the evaluation loaders) uses this one transform.
TransformOptions fit_into_box(cv::Size box, cv::Size canvas = {0, 0});

/// Throws Error(kConfig) naming the field when an option is out of range (negative sizes,
/// scale_min > scale_max, hue > 0.5, a resize mode without its size, ...).
void validate_transform_options(const TransformOptions& options);

/// The size after the deterministic resize of `options` (input size when kNone). Each side is
/// at least 1.
cv::Size resized_size(cv::Size input, const TransformOptions& options);

/// Resizes image and mask to `size`: the image with INTER_AREA when shrinking, INTER_LINEAR
/// otherwise; the mask with INTER_NEAREST. Returns the input unchanged (no copy) when the size
/// is already right.
ImageMask resize_pair(const ImageMask& input, cv::Size size);

/// Mirrors image and mask left-right (new buffers).
ImageMask flip_horizontal(const ImageMask& input);

/// Pads right and bottom up to `size` (each side >= the input's): image with `pad_color`,
/// mask with 255. Returns the input unchanged when nothing is to be added.
ImageMask pad_pair(const ImageMask& input, cv::Size size, const std::array<uint8_t, 3>& pad_color);

/// Resizes by `scale` and cuts the window of size `crop` whose top-left corner is `origin`,
/// in one step: the result equals resizing the whole pair to round(size * scale) (as
/// resize_pair does) and then cropping, where the window may reach outside the scaled image
/// (origin negative or window past the edge); those pixels are padded (image: pad_color,
/// mask: 255). Only the part of the input under the window is resampled, so a small crop of
/// a large image costs little. With scale != 1 the resampled part may differ from the
/// whole-image resize by a fraction of a pixel at its borders.
ImageMask scale_and_crop(const ImageMask& input, double scale, cv::Point origin, cv::Size crop,
                         const std::array<uint8_t, 3>& pad_color);

/// Draws jitter factors for `options` (brightness, contrast, saturation, hue, in that order,
/// each only when switched on).
ColorJitterFactors draw_color_jitter(const ColorJitterOptions& options, std::mt19937_64& rng);

/// Applies jitter factors to an 8-bit RGB image in place, as one affine colour map (8-bit
/// saturation at the end): brightness scales, contrast blends with the image's mean grey,
/// saturation blends with each pixel's grey (luma 0.299, 0.587, 0.114), hue rotates the
/// chroma plane of YIQ. Without intermediate clipping these four commute, so their order does
/// not matter.
void apply_color_jitter(cv::Mat& rgb, const ColorJitterFactors& factors);

/// The random choices of one training transform, drawn for an input size.
struct TrainPlan {
  cv::Size scaled;      ///< size of the whole input after resize and random scale (or zoom)
  cv::Rect window;      ///< the crop, in scaled coordinates (may reach outside)
  bool zoomed = false;  ///< a zoomed-in crop
  bool flip = false;    ///< mirror left-right
  bool jitter = false;  ///< apply `jitter_factors`
  ColorJitterFactors jitter_factors;
  AppearancePlan appearance;  ///< gamma, colour cast, grayscale, blur, JPEG
  BackgroundPlan background;  ///< a new background (masked photos only)
};

/// The bounding box of a mask's labelled classes (values other than 0 and 255), or an empty
/// rectangle when there are none: the focus of zoomed crops.
cv::Rect labelled_box(const cv::Mat& mask);

/// Draws the training pipeline's choices for an input of size `input`: deterministic resize
/// and random scale (one combined factor), the crop window (its origin uniform over all
/// placements that keep the window inside the scaled image, or the image inside the window
/// where it is smaller; the whole scaled image without `crop`), flip, jitter factors. A
/// zoomed-in sample instead takes a zoom factor and centres the window on `focus` (input
/// coordinates; empty = the whole input), kept inside the image where it fits. Draws from
/// `rng` in this order: zoom?, scale or zoom factor (then the zoom's upper? and centre),
/// window x, window y, flip, jitter, appearance, background (each only when on), so
/// options that are off draw nothing.
TrainPlan draw_train_plan(cv::Size input, const TransformOptions& options, std::mt19937_64& rng,
                          cv::Rect focus = {});

/// The geometric part of a plan drawn for the mask's size: resamples only the window (image:
/// INTER_AREA when shrinking, else INTER_LINEAR; mask: INTER_NEAREST), pads (image: pad
/// colour, mask: 255), flips. `image` may be a reduced decode of the photo
/// (decode_image_rgb_reduced: the mask's size / 2^k, sides within one pixel); it is mapped
/// onto the same window. `mask` may be empty (then the plan is for the image's size). Sets
/// `valid` (when given) to the part of the window holding photo pixels. Throws Error(kInput)
/// when the sizes do not fit together.
ImageMask apply_train_geometry(const cv::Mat& image, const cv::Mat& mask, const TrainPlan& plan,
                               const TransformOptions& options, cv::Rect* valid = nullptr);

/// The photometric part, in place: jitter on the `valid` part (padding keeps its colour),
/// then the appearance changes on the whole image. Pixel positions do not change.
void apply_train_photometric(cv::Mat& image, const TrainPlan& plan, const cv::Rect& valid);

/// The whole plan: geometry, then (with a mask) the new background, then the photometric
/// part. A kPhoto background needs `background_photo`: another masked photo already
/// transformed to the window's size (its labels come with it); without one it takes a
/// gradient of the plan's colours.
ImageMask apply_train_plan(const cv::Mat& image, const cv::Mat& mask, const TrainPlan& plan,
                           const TransformOptions& options,
                           const ImageMask* background_photo = nullptr);

/// The training pipeline: apply_train_plan(draw_train_plan(size, options, rng)).
ImageMask train_transform(const ImageMask& input, const TransformOptions& options,
                          std::mt19937_64& rng);

/// The evaluation pipeline (deterministic): resize, then pad right/bottom to `crop` (throws
/// Error(kConfig) when the resized image is larger: use ResizeMode::kFitBox with box = crop)
/// or to a multiple of `pad_to_multiple`.
ImageMask eval_transform(const ImageMask& input, const TransformOptions& options);

/// The same for an image that may be a reduced decode of the photo (as in apply_train_plan):
/// sizes follow the full-size mask (or the image when there is no mask).
ImageMask eval_transform(const cv::Mat& image, const cv::Mat& mask,
                         const TransformOptions& options);

}  // namespace fashionseg
