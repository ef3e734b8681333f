// Joint image/mask transforms on synthetic images: sizes, nearest-neighbour masks (no new
// label values ever appear, except 255 where padding was added), flips, padding, the fused
// scale-and-crop against the whole-image resize, colour jitter against hand-computed values,
// and the seeded training / deterministic evaluation pipelines.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include <random>
#include <set>

#include "fashionseg/core/error.h"
#include "fashionseg/data/transforms.h"

namespace fashionseg {
namespace {

const std::set<int> kLabels{0, 3, 7, 46};

// A mask of blocks of the labels above, plus single-pixel speckles, so any interpolation
// would create values between the labels.
cv::Mat synthetic_mask(int w, int h, uint64_t seed = 1) {
  cv::Mat mask(h, w, CV_8UC1);
  const int labels[] = {0, 3, 7, 46};
  std::mt19937 rng(static_cast<unsigned>(seed));
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) mask.at<uint8_t>(y, x) = labels[((x / 9) + 2 * (y / 7)) % 4];
  }
  for (int i = 0; i < w * h / 20; ++i) {
    mask.at<uint8_t>(rng() % h, rng() % w) = labels[rng() % 4];
  }
  return mask;
}

// An image whose colour tells the label under it (for alignment checks) plus a gradient.
cv::Vec3b label_color(int label) {
  return cv::Vec3b(static_cast<uint8_t>(label * 5 + 20), static_cast<uint8_t>(200 - label * 3),
                   static_cast<uint8_t>((label * 37) % 256));
}

cv::Mat image_from_mask(const cv::Mat& mask) {
  cv::Mat rgb(mask.size(), CV_8UC3);
  for (int y = 0; y < mask.rows; ++y)
    for (int x = 0; x < mask.cols; ++x)
      rgb.at<cv::Vec3b>(y, x) = label_color(mask.at<uint8_t>(y, x));
  return rgb;
}

cv::Mat gradient_rgb(int w, int h) {
  cv::Mat rgb(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      rgb.at<cv::Vec3b>(y, x) = cv::Vec3b((x * 7) % 256, (y * 5) % 256, (x + y) % 256);
  return rgb;
}

ImageMask synthetic_pair(int w, int h, uint64_t seed = 1) {
  return {gradient_rgb(w, h), synthetic_mask(w, h, seed)};
}

std::set<int> values_of(const cv::Mat& mask) {
  std::set<int> values;
  for (int y = 0; y < mask.rows; ++y)
    for (int x = 0; x < mask.cols; ++x) values.insert(mask.at<uint8_t>(y, x));
  return values;
}

void expect_labels_only(const cv::Mat& mask, bool padding_allowed) {
  for (int v : values_of(mask)) {
    const bool ok = kLabels.count(v) || (padding_allowed && v == kMaskPadValue);
    EXPECT_TRUE(ok) << "mask value " << v << " was not in the input";
  }
}

bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

TEST(Transforms, ResizedSizeFollowsTheMode) {
  TransformOptions o;
  EXPECT_EQ(resized_size({550, 832}, o), cv::Size(550, 832));
  o.resize = ResizeMode::kShortSide;
  o.short_side = 192;
  // 832 * 192 / 550 = 290.44
  EXPECT_EQ(resized_size({550, 832}, o), cv::Size(192, 290));
  EXPECT_EQ(resized_size({832, 550}, o), cv::Size(290, 192));
  o.resize = ResizeMode::kFitBox;
  o.box = {100, 100};
  EXPECT_EQ(resized_size({200, 50}, o), cv::Size(100, 25));
  EXPECT_EQ(resized_size({30, 60}, o), cv::Size(50, 100));  // enlarges to fit
}

TEST(Transforms, ResizeKeepsMaskLabelsForAnyFactor) {
  const ImageMask input = synthetic_pair(97, 61);
  for (cv::Size size :
       {cv::Size(31, 17), cv::Size(48, 30), cv::Size(150, 99), cv::Size(97, 200), cv::Size(1, 1)}) {
    const ImageMask out = resize_pair(input, size);
    EXPECT_EQ(out.image.size(), size);
    EXPECT_EQ(out.mask.size(), size);
    EXPECT_EQ(out.image.type(), CV_8UC3);
    EXPECT_EQ(out.mask.type(), CV_8UC1);
    expect_labels_only(out.mask, /*padding_allowed=*/false);
  }
}

TEST(Transforms, ResizeByTwoPicksMaskPixelsAndAveragesImage) {
  // Hand-checkable: halving takes mask pixel (2x, 2y) (nearest) and averages 2x2 image blocks.
  cv::Mat mask = (cv::Mat_<uint8_t>(2, 4) << 1, 2, 3, 4, 5, 6, 7, 8);
  cv::Mat image(2, 4, CV_8UC3, cv::Scalar(0, 0, 0));
  image.at<cv::Vec3b>(0, 0) = {40, 0, 0};
  image.at<cv::Vec3b>(1, 1) = {80, 4, 0};
  const ImageMask out = resize_pair({image, mask}, {2, 1});
  EXPECT_EQ(out.mask.at<uint8_t>(0, 0), 1);
  EXPECT_EQ(out.mask.at<uint8_t>(0, 1), 3);
  EXPECT_EQ(out.image.at<cv::Vec3b>(0, 0), cv::Vec3b(30, 1, 0));
  EXPECT_EQ(out.image.at<cv::Vec3b>(0, 1), cv::Vec3b(0, 0, 0));
}

TEST(Transforms, FlipMirrorsImageAndMask) {
  const ImageMask input = synthetic_pair(13, 5);
  const ImageMask out = flip_horizontal(input);
  for (int y = 0; y < 5; ++y) {
    for (int x = 0; x < 13; ++x) {
      EXPECT_EQ(out.image.at<cv::Vec3b>(y, x), input.image.at<cv::Vec3b>(y, 12 - x));
      EXPECT_EQ(out.mask.at<uint8_t>(y, x), input.mask.at<uint8_t>(y, 12 - x));
    }
  }
}

TEST(Transforms, PadAddsMeanColourAndIgnoreLabel) {
  const ImageMask input = synthetic_pair(10, 6);
  const ImageMask out = pad_pair(input, {14, 9}, kMeanPadColor);
  ASSERT_EQ(out.image.size(), cv::Size(14, 9));
  EXPECT_TRUE(same(out.image(cv::Rect(0, 0, 10, 6)), input.image));
  EXPECT_TRUE(same(out.mask(cv::Rect(0, 0, 10, 6)), input.mask));
  for (int y = 0; y < 9; ++y) {
    for (int x = 0; x < 14; ++x) {
      if (x < 10 && y < 6) continue;
      EXPECT_EQ(out.mask.at<uint8_t>(y, x), 255);
      EXPECT_EQ(out.image.at<cv::Vec3b>(y, x), cv::Vec3b(124, 116, 104));
    }
  }
  const ImageMask black = pad_pair(input, {11, 6}, {0, 0, 0});
  EXPECT_EQ(black.image.at<cv::Vec3b>(0, 10), cv::Vec3b(0, 0, 0));
  EXPECT_THROW(pad_pair(input, {9, 6}, kMeanPadColor), Error);
}

TEST(Transforms, ScaleAndCropAtScaleOneIsAPaddedWindow) {
  const ImageMask input = synthetic_pair(20, 12);
  // Reference: pad 5 pixels all round, then cut the window shifted by the padding.
  cv::Mat padded_image, padded_mask;
  cv::copyMakeBorder(input.image, padded_image, 5, 5, 5, 5, cv::BORDER_CONSTANT,
                     cv::Scalar(1, 2, 3));
  cv::copyMakeBorder(input.mask, padded_mask, 5, 5, 5, 5, cv::BORDER_CONSTANT, cv::Scalar(255));
  for (cv::Point origin : {cv::Point(-3, -2), cv::Point(4, 1), cv::Point(10, 5), cv::Point(0, 0)}) {
    const cv::Size crop(14, 9);
    const ImageMask out = scale_and_crop(input, 1.0, origin, crop, {1, 2, 3});
    const cv::Rect window(origin + cv::Point(5, 5), crop);
    EXPECT_TRUE(same(out.image, padded_image(window))) << origin;
    EXPECT_TRUE(same(out.mask, padded_mask(window))) << origin;
  }
}

TEST(Transforms, ScaleAndCropOfTheWholeImageEqualsResize) {
  const ImageMask input = synthetic_pair(83, 57);
  for (double scale : {0.37, 0.5, 1.6, 2.0}) {
    const cv::Size target(static_cast<int>(std::lround(83 * scale)),
                          static_cast<int>(std::lround(57 * scale)));
    const ImageMask reference = resize_pair(input, target);
    const ImageMask out = scale_and_crop(input, scale, {0, 0}, target, kMeanPadColor);
    EXPECT_TRUE(same(out.image, reference.image)) << scale;
    EXPECT_TRUE(same(out.mask, reference.mask)) << scale;
  }
}

TEST(Transforms, ScaleAndCropByHalfMatchesCroppingTheResizedImage) {
  // With an exact factor of 2 and an even window, resampling only the window is exact.
  const ImageMask input = synthetic_pair(80, 60);
  const ImageMask whole = resize_pair(input, {40, 30});
  const cv::Rect window(6, 4, 20, 16);
  const ImageMask out = scale_and_crop(input, 0.5, window.tl(), window.size(), kMeanPadColor);
  EXPECT_TRUE(same(out.image, whole.image(window)));
  EXPECT_TRUE(same(out.mask, whole.mask(window)));
}

TEST(Transforms, ScaleAndCropPadsOutsideWithIgnore) {
  const ImageMask input = synthetic_pair(30, 20);
  // Scaled to 45x30; a 40x40 window at (-5, 0) has 5 padded columns left, 10 rows below.
  const ImageMask out = scale_and_crop(input, 1.5, {-5, 0}, {40, 40}, kMeanPadColor);
  ASSERT_EQ(out.mask.size(), cv::Size(40, 40));
  for (int y = 0; y < 40; ++y) {
    for (int x = 0; x < 40; ++x) {
      const bool outside = x < 5 || y >= 30;
      const int v = out.mask.at<uint8_t>(y, x);
      if (outside) {
        EXPECT_EQ(v, 255) << x << "," << y;
        EXPECT_EQ(out.image.at<cv::Vec3b>(y, x), cv::Vec3b(124, 116, 104));
      } else {
        EXPECT_TRUE(kLabels.count(v)) << v;
      }
    }
  }
  // A window entirely outside the image is all padding.
  const ImageMask away = scale_and_crop(input, 1.0, {100, 100}, {8, 8}, kMeanPadColor);
  EXPECT_EQ(values_of(away.mask), std::set<int>{255});
}

TEST(Transforms, ScaleAndCropWithoutMask) {
  ImageMask input{gradient_rgb(30, 20), cv::Mat()};
  const ImageMask out = scale_and_crop(input, 0.7, {1, 1}, {16, 10}, kMeanPadColor);
  EXPECT_EQ(out.image.size(), cv::Size(16, 10));
  EXPECT_TRUE(out.mask.empty());
}

cv::Vec3d as_double(const cv::Vec3b& v) { return {double(v[0]), double(v[1]), double(v[2])}; }
double luma(const cv::Vec3d& v) { return 0.299 * v[0] + 0.587 * v[1] + 0.114 * v[2]; }

TEST(ColorJitter, IdentityFactorsLeaveTheImage) {
  cv::Mat image = gradient_rgb(17, 9);
  const cv::Mat before = image.clone();
  apply_color_jitter(image, ColorJitterFactors{});
  EXPECT_LE(cv::norm(image, before, cv::NORM_INF), 1.0);
  // A full turn of hue is the identity too.
  ColorJitterFactors turn;
  turn.hue = 1.0;
  apply_color_jitter(image, turn);
  EXPECT_LE(cv::norm(image, before, cv::NORM_INF), 1.0);
}

TEST(ColorJitter, BrightnessContrastSaturationMatchHandComputedValues) {
  const cv::Mat input = gradient_rgb(16, 8);
  cv::Scalar channel_mean = cv::mean(input);
  const double mean_grey =
      0.299 * channel_mean[0] + 0.587 * channel_mean[1] + 0.114 * channel_mean[2];

  cv::Mat bright = input.clone();
  ColorJitterFactors b;
  b.brightness = 0.5;
  apply_color_jitter(bright, b);
  cv::Mat flat = input.clone();
  ColorJitterFactors c;
  c.contrast = 0.0;
  apply_color_jitter(flat, c);
  cv::Mat grey = input.clone();
  ColorJitterFactors s;
  s.saturation = 0.0;
  apply_color_jitter(grey, s);
  cv::Mat strong = input.clone();
  ColorJitterFactors c2;
  c2.contrast = 2.0;
  apply_color_jitter(strong, c2);

  for (int y = 0; y < input.rows; ++y) {
    for (int x = 0; x < input.cols; ++x) {
      const cv::Vec3d p = as_double(input.at<cv::Vec3b>(y, x));
      for (int ch = 0; ch < 3; ++ch) {
        EXPECT_NEAR(bright.at<cv::Vec3b>(y, x)[ch], p[ch] * 0.5, 1.0);
        EXPECT_NEAR(flat.at<cv::Vec3b>(y, x)[ch], mean_grey, 1.0);
        EXPECT_NEAR(grey.at<cv::Vec3b>(y, x)[ch], luma(p), 1.0);
        EXPECT_NEAR(strong.at<cv::Vec3b>(y, x)[ch], std::clamp(2.0 * p[ch] - mean_grey, 0.0, 255.0),
                    1.0);
      }
    }
  }
}

TEST(ColorJitter, HueKeepsGreyAndLumaAndChangesColour) {
  cv::Mat image(4, 4, CV_8UC3, cv::Scalar(90, 90, 90));
  image.at<cv::Vec3b>(0, 0) = {180, 60, 60};
  image.at<cv::Vec3b>(1, 1) = {60, 150, 70};
  const cv::Mat before = image.clone();
  ColorJitterFactors h;
  h.hue = 0.25;
  apply_color_jitter(image, h);
  EXPECT_EQ(image.at<cv::Vec3b>(3, 3), cv::Vec3b(90, 90, 90));  // grey stays grey
  for (cv::Point p : {cv::Point(0, 0), cv::Point(1, 1)}) {
    const cv::Vec3d a = as_double(before.at<cv::Vec3b>(p)), b = as_double(image.at<cv::Vec3b>(p));
    EXPECT_NEAR(luma(a), luma(b), 1.5);
    EXPECT_GT(cv::norm(a - b), 30.0) << "hue shift of a quarter turn should change the colour";
  }
}

TEST(ColorJitter, DrawnFactorsStayInRange) {
  ColorJitterOptions o;
  o.brightness = 0.4;
  o.contrast = 1.5;
  o.hue = 0.1;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200; ++i) {
    const ColorJitterFactors f = draw_color_jitter(o, rng);
    EXPECT_GE(f.brightness, 0.6);
    EXPECT_LE(f.brightness, 1.4);
    EXPECT_GE(f.contrast, 0.0);
    EXPECT_LE(f.contrast, 2.5);
    EXPECT_EQ(f.saturation, 1.0);
    EXPECT_LE(std::abs(f.hue), 0.1);
  }
}

TransformOptions training_options() {
  TransformOptions o;
  o.resize = ResizeMode::kShortSide;
  o.short_side = 48;
  o.scale_min = 0.5;
  o.scale_max = 2.0;
  o.crop = {40, 56};
  o.flip_probability = 0.5;
  o.jitter = {0.3, 0.3, 0.3, 0.05};
  return o;
}

TEST(TrainTransform, OutputHasCropSizeAndOnlyInputLabelsOrIgnore) {
  const ImageMask input = synthetic_pair(73, 111);
  const TransformOptions o = training_options();
  std::mt19937_64 rng(11);
  bool saw_padding = false;
  for (int i = 0; i < 60; ++i) {
    const ImageMask out = train_transform(input, o, rng);
    ASSERT_EQ(out.image.size(), cv::Size(40, 56));
    ASSERT_EQ(out.mask.size(), cv::Size(40, 56));
    expect_labels_only(out.mask, /*padding_allowed=*/true);
    saw_padding |= values_of(out.mask).count(255) > 0;
  }
  EXPECT_TRUE(saw_padding) << "scales down to 0.5 must leave padded areas";
}

TEST(TrainTransform, SameSeedSameResultOtherSeedOtherResult) {
  const ImageMask input = synthetic_pair(73, 111);
  const TransformOptions o = training_options();
  std::mt19937_64 a(5), b(5), c(6);
  const ImageMask ra = train_transform(input, o, a);
  const ImageMask rb = train_transform(input, o, b);
  const ImageMask rc = train_transform(input, o, c);
  EXPECT_TRUE(same(ra.image, rb.image));
  EXPECT_TRUE(same(ra.mask, rb.mask));
  EXPECT_FALSE(same(ra.image, rc.image));
}

TEST(TrainTransform, CertainFlipWithoutScaleOrCropIsAPlainFlip) {
  const ImageMask input = synthetic_pair(21, 14);
  TransformOptions o;
  o.flip_probability = 1.0;
  o.crop = {21, 14};
  std::mt19937_64 rng(1);
  const ImageMask out = train_transform(input, o, rng);
  const ImageMask reference = flip_horizontal(input);
  EXPECT_TRUE(same(out.image, reference.image));
  EXPECT_TRUE(same(out.mask, reference.mask));
}

TEST(TrainTransform, ImageAndMaskStayAligned) {
  // The image's colour encodes the label; after scaling, cropping and flipping, pixels inside
  // label blocks must still show their label's colour.
  cv::Mat mask(120, 90, CV_8UC1);
  const int labels[] = {0, 3, 7, 46};
  for (int y = 0; y < mask.rows; ++y)
    for (int x = 0; x < mask.cols; ++x) mask.at<uint8_t>(y, x) = labels[(x / 15 + y / 20) % 4];
  const ImageMask input{image_from_mask(mask), mask};
  TransformOptions o = training_options();
  o.resize = ResizeMode::kNone;  // scales near 1 keep blocks large next to blended borders
  o.scale_min = 0.8;
  o.scale_max = 1.25;
  o.jitter = {};
  std::mt19937_64 rng(21);
  for (int i = 0; i < 20; ++i) {
    const ImageMask out = train_transform(input, o, rng);
    int checked = 0, matching = 0;
    for (int y = 0; y < out.mask.rows; ++y) {
      for (int x = 0; x < out.mask.cols; ++x) {
        const int label = out.mask.at<uint8_t>(y, x);
        if (label == 255) continue;
        ++checked;
        const cv::Vec3d expected = as_double(label_color(label));
        if (cv::norm(as_double(out.image.at<cv::Vec3b>(y, x)) - expected) < 3.0) ++matching;
      }
    }
    ASSERT_GT(checked, 0);
    // Only pixels on block borders may blend two colours.
    EXPECT_GT(matching, 0.8 * checked) << "iteration " << i;
  }
}

TEST(TrainTransform, PlanOnAReducedImageGivesTheSameMaskAndACloseImage) {
  // A smooth photo and its half-size version (as a reduced JPEG decode would give) mapped
  // through the same plan: identical masks, images within resampling differences.
  cv::Mat photo(120, 90, CV_8UC3);
  for (int y = 0; y < 120; ++y)
    for (int x = 0; x < 90; ++x) photo.at<cv::Vec3b>(y, x) = cv::Vec3b(x * 2, y * 2, 100);
  const cv::Mat mask = synthetic_mask(90, 120);
  cv::Mat half;
  cv::resize(photo, half, {45, 60}, 0, 0, cv::INTER_AREA);
  TransformOptions o = training_options();
  o.resize = ResizeMode::kNone;
  o.scale_min = 0.3;
  o.scale_max = 0.5;
  std::mt19937_64 rng(4);
  for (int i = 0; i < 10; ++i) {
    const TrainPlan plan = draw_train_plan(mask.size(), o, rng);
    const ImageMask full = apply_train_plan(photo, mask, plan, o);
    const ImageMask reduced = apply_train_plan(half, mask, plan, o);
    EXPECT_TRUE(same(full.mask, reduced.mask));
    cv::Mat difference;
    cv::absdiff(full.image, reduced.image, difference);
    EXPECT_LT(cv::mean(difference)[0], 3.0) << "iteration " << i;
  }
  // A mask that is no reduction of the image is an input error.
  EXPECT_THROW(
      apply_train_plan(half, synthetic_mask(80, 120), draw_train_plan({80, 120}, o, rng), o),
      Error);
}

TEST(EvalTransform, FitsTheBoxAndPadsDeterministically) {
  const ImageMask input = synthetic_pair(100, 50);
  TransformOptions o;
  o.resize = ResizeMode::kFitBox;
  o.box = {64, 64};
  o.crop = {64, 64};
  const ImageMask out = eval_transform(input, o);
  ASSERT_EQ(out.image.size(), cv::Size(64, 64));
  EXPECT_TRUE(same(out.image(cv::Rect(0, 0, 64, 32)), resize_pair(input, {64, 32}).image));
  EXPECT_EQ(values_of(out.mask(cv::Rect(0, 32, 64, 32))), std::set<int>{255});
  expect_labels_only(out.mask, true);
  const ImageMask again = eval_transform(input, o);
  EXPECT_TRUE(same(out.image, again.image));
  EXPECT_TRUE(same(out.mask, again.mask));
}

TEST(EvalTransform, PadsToAMultiple) {
  const ImageMask input = synthetic_pair(70, 40);
  TransformOptions o;
  o.pad_to_multiple = 32;
  const ImageMask out = eval_transform(input, o);
  EXPECT_EQ(out.image.size(), cv::Size(96, 64));
  EXPECT_TRUE(same(out.mask(cv::Rect(0, 0, 70, 40)), input.mask));
}

TEST(EvalTransform, ImageLargerThanThePadSizeIsAConfigError) {
  TransformOptions o;
  o.crop = {32, 32};
  try {
    eval_transform(synthetic_pair(40, 20), o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConfig);
  }
}

TEST(TransformOptionsCheck, RejectsBadValues) {
  auto rejects = [](auto change) {
    TransformOptions o;
    change(o);
    EXPECT_THROW(validate_transform_options(o), Error);
  };
  rejects([](TransformOptions& o) { o.resize = ResizeMode::kShortSide; });
  rejects([](TransformOptions& o) { o.resize = ResizeMode::kFitBox; });
  rejects([](TransformOptions& o) { o.scale_min = 2.0; });
  rejects([](TransformOptions& o) { o.scale_min = 0.0; });
  rejects([](TransformOptions& o) { o.crop = {10, 0}; });
  rejects([](TransformOptions& o) { o.flip_probability = 1.5; });
  rejects([](TransformOptions& o) { o.jitter.hue = 0.6; });
  EXPECT_NO_THROW(validate_transform_options(training_options()));
}

TEST(TransformInput, MaskOfOtherSizeIsAnInputError) {
  ImageMask bad{gradient_rgb(10, 10), synthetic_mask(9, 10)};
  try {
    resize_pair(bad, {5, 5});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput);
  }
}

}  // namespace
}  // namespace fashionseg
