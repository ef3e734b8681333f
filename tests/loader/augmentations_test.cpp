// Augmentations for photos unlike the training set: each one against a hand-computed or
// OpenCV reference, and each one in the training pipeline keeping photo and mask aligned
// (the same plan with and without it gives the same mask, and the image differs only by the
// augmentation itself).
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <random>

#include "fashionseg/core/error.h"
#include "fashionseg/data/augmentations.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/data/transforms.h"

namespace fashionseg {
namespace {

cv::Vec3b color_of(int label) {
  return cv::Vec3b(static_cast<uint8_t>(label * 5 + 20), static_cast<uint8_t>(200 - label * 3),
                   static_cast<uint8_t>((label * 37) % 256));
}

// A 90x120 "person" (labels 3 and 7 in blocks, a bag 5 on one side so that a mirrored mask
// would not fit) on background 0, with an ignored patch; the image's colour encodes the label
// under it.
ImageMask person_pair() {
  cv::Mat mask(120, 90, CV_8UC1, cv::Scalar(0));
  mask(cv::Rect(30, 20, 30, 40)).setTo(3);
  mask(cv::Rect(30, 60, 30, 50)).setTo(7);
  mask(cv::Rect(18, 60, 12, 20)).setTo(5);
  mask(cv::Rect(40, 30, 6, 6)).setTo(255);
  cv::Mat rgb(mask.size(), CV_8UC3);
  for (int y = 0; y < mask.rows; ++y)
    for (int x = 0; x < mask.cols; ++x) rgb.at<cv::Vec3b>(y, x) = color_of(mask.at<uint8_t>(y, x));
  return {rgb, mask};
}

cv::Mat gradient(int w, int h) {
  cv::Mat rgb(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      rgb.at<cv::Vec3b>(y, x) = cv::Vec3b((x * 7) % 256, (y * 5) % 256, (x + y) % 256);
  return rgb;
}

bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

TransformOptions pipeline() {
  TransformOptions o;
  o.resize = ResizeMode::kFitBox;
  o.box = {48, 64};
  o.crop = {48, 64};
  o.scale_min = 0.7;
  o.scale_max = 1.4;
  o.flip_probability = 0.5;
  return o;
}

// Share of labelled pixels (not 255) whose colour is their label's colour.
double aligned_share(const ImageMask& out) {
  int checked = 0, matching = 0;
  for (int y = 0; y < out.mask.rows; ++y) {
    for (int x = 0; x < out.mask.cols; ++x) {
      const int label = out.mask.at<uint8_t>(y, x);
      if (label == 255) continue;
      ++checked;
      if (cv::norm(cv::Vec3d(out.image.at<cv::Vec3b>(y, x)) - cv::Vec3d(color_of(label))) < 3.0)
        ++matching;
    }
  }
  return checked ? static_cast<double>(matching) / checked : 0.0;
}

TEST(Appearance, GammaAndColourCastMatchTheFormula) {
  cv::Mat rgb = gradient(37, 23);
  const cv::Mat input = rgb.clone();
  AppearancePlan plan;
  plan.gamma = 1.7;
  plan.gains = {1.2, 1.0, 0.6};
  apply_appearance(rgb, plan);
  for (int y = 0; y < rgb.rows; ++y) {
    for (int x = 0; x < rgb.cols; ++x) {
      for (int c = 0; c < 3; ++c) {
        const double expected = std::min(
            255.0, plan.gains[c] * 255.0 * std::pow(input.at<cv::Vec3b>(y, x)[c] / 255.0, 1.7));
        EXPECT_NEAR(rgb.at<cv::Vec3b>(y, x)[c], expected, 0.5001) << x << "," << y << "," << c;
      }
    }
  }
}

TEST(Appearance, GrayscaleBlurAndJpegAgainstOpenCv) {
  const cv::Mat input = gradient(40, 30);
  AppearancePlan grey;
  grey.grayscale = true;
  cv::Mat rgb = input.clone();
  apply_appearance(rgb, grey);
  cv::Mat luma;
  cv::cvtColor(input, luma, cv::COLOR_RGB2GRAY);
  std::vector<cv::Mat> channels;
  cv::split(rgb, channels);
  for (const cv::Mat& channel : channels) EXPECT_TRUE(same(channel, luma));

  AppearancePlan blur;
  blur.blur_sigma = 1.5;
  rgb = input.clone();
  apply_appearance(rgb, blur);
  cv::Mat reference;
  cv::GaussianBlur(input, reference, cv::Size(0, 0), 1.5);
  EXPECT_TRUE(same(rgb, reference));
  EXPECT_FALSE(same(rgb, input));

  AppearancePlan jpeg;
  jpeg.jpeg_quality = 40;
  rgb = input.clone();
  apply_appearance(rgb, jpeg);
  const auto bytes = encode_jpeg(input, 40);
  EXPECT_TRUE(same(
      rgb,
      decode_image_rgb(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                       "reference")));
  EXPECT_FALSE(same(rgb, input));
  EXPECT_GT(cv::PSNR(rgb, input), 20.0);

  cv::Mat untouched = input.clone();
  apply_appearance(untouched, AppearancePlan{});
  EXPECT_TRUE(same(untouched, input)) << "the default plan changes nothing";
}

TEST(Appearance, DrawsStayInTheirRangesAndFollowTheProbabilities) {
  AppearanceOptions o;
  o.grayscale = 0.3;
  o.blur = 0.5;
  o.blur_sigma = 3.0;
  o.jpeg = 1.0;
  o.jpeg_quality = 20;
  o.gamma = 0.5;
  o.color_cast = 0.2;
  std::mt19937_64 rng(4);
  int grey = 0, blurred = 0;
  for (int i = 0; i < 2000; ++i) {
    const AppearancePlan plan = draw_appearance(o, rng);
    EXPECT_GE(plan.gamma, 1 / 1.5 - 1e-12);
    EXPECT_LE(plan.gamma, 1.5 + 1e-12);
    for (double gain : plan.gains) {
      EXPECT_GE(gain, 0.8);
      EXPECT_LE(gain, 1.2);
    }
    EXPECT_GE(plan.jpeg_quality, 20);
    EXPECT_LE(plan.jpeg_quality, 95);
    if (plan.blur_sigma > 0) {
      ++blurred;
      EXPECT_GE(plan.blur_sigma, 0.5);
      EXPECT_LE(plan.blur_sigma, 3.0);
    }
    grey += plan.grayscale;
  }
  EXPECT_NEAR(grey / 2000.0, 0.3, 0.04);
  EXPECT_NEAR(blurred / 2000.0, 0.5, 0.04);
  AppearanceOptions bad;
  bad.jpeg_quality = 0;
  EXPECT_THROW(validate_appearance_options(bad), Error);
  bad = {};
  bad.grayscale = 1.5;
  EXPECT_THROW(validate_appearance_options(bad), Error);
}

TEST(Appearance, InThePipelineOnlyTheImageChangesAndOnlyByTheAugmentation) {
  const ImageMask input = person_pair();
  TransformOptions o = pipeline();
  o.appearance.grayscale = 0.5;
  o.appearance.blur = 0.5;
  o.appearance.jpeg = 0.5;
  o.appearance.gamma = 0.4;
  o.appearance.color_cast = 0.2;
  std::mt19937_64 rng(8);
  for (int i = 0; i < 12; ++i) {
    const TrainPlan plan = draw_train_plan(input.mask.size(), o, rng);
    TrainPlan plain = plan;
    plain.appearance = {};
    const ImageMask with = apply_train_plan(input.image, input.mask, plan, o);
    const ImageMask without = apply_train_plan(input.image, input.mask, plain, o);
    EXPECT_TRUE(same(with.mask, without.mask)) << i;
    EXPECT_GT(aligned_share(without), 0.8) << i;
    cv::Mat expected = without.image.clone();
    apply_appearance(expected, plan.appearance);
    EXPECT_TRUE(same(with.image, expected)) << i;
  }
}

TEST(Zoom, CropsFarPastTheScaleRangeOnThePersonAndAligned) {
  const ImageMask input = person_pair();
  TransformOptions o = pipeline();
  o.zoom.probability = 1.0;
  o.zoom.scale_min = 2.0;
  o.zoom.scale_max = 4.0;
  o.zoom.upper = 1.0;
  const cv::Rect focus = labelled_box(input.mask);
  EXPECT_EQ(focus, cv::Rect(18, 20, 42, 90));
  const double fit = std::min(48.0 / 90, 64.0 / 120);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 30; ++i) {
    const TrainPlan plan = draw_train_plan(input.mask.size(), o, rng, focus);
    EXPECT_TRUE(plan.zoomed);
    const double zoom = plan.scaled.width / (90 * fit);
    EXPECT_GE(zoom, 2.0 - 0.05);
    EXPECT_LE(zoom, 4.0 + 0.05);
    // Upper body: the window starts no lower than the top 35% of the person.
    const double sy = static_cast<double>(plan.scaled.height) / 120;
    EXPECT_LE(plan.window.y, (20 + 0.35 * 90) * sy) << i;
    const cv::Rect scaled_focus(static_cast<int>(18 * sy), static_cast<int>(20 * sy),
                                static_cast<int>(42 * sy), static_cast<int>(90 * sy));
    EXPECT_FALSE((plan.window & scaled_focus).empty()) << "the crop shows the person";
    const ImageMask out = apply_train_plan(input.image, input.mask, plan, o);
    EXPECT_EQ(out.image.size(), cv::Size(48, 64));
    EXPECT_GT(aligned_share(out), 0.9) << i;
  }
  // Off by default, and then the random scale range applies.
  o.zoom.probability = 0.0;
  const TrainPlan plan = draw_train_plan(input.mask.size(), o, rng, focus);
  EXPECT_FALSE(plan.zoomed);
  EXPECT_LE(plan.scaled.width, std::lround(90 * fit * 1.4));
}

TEST(Background, ReplacesOnlyBackgroundPixelsAndTakesTheOtherLabels) {
  ImageMask pair = person_pair();
  const ImageMask original{pair.image.clone(), pair.mask.clone()};
  BackgroundPlan plain;
  plain.kind = BackgroundKind::kPlain;
  plain.first = {250, 240, 230};
  replace_background(pair.image, pair.mask, render_background(pair.image.size(), plain));
  EXPECT_TRUE(same(pair.mask, original.mask)) << "a plain background is background";
  EXPECT_EQ(pair.image.at<cv::Vec3b>(5, 5), cv::Vec3b(250, 240, 230));
  EXPECT_EQ(pair.image.at<cv::Vec3b>(50, 45), original.image.at<cv::Vec3b>(50, 45));  // person
  EXPECT_EQ(pair.image.at<cv::Vec3b>(32, 42), original.image.at<cv::Vec3b>(32, 42));  // ignore
  // One pixel outside the person is blended, two pixels outside is background.
  EXPECT_NE(pair.image.at<cv::Vec3b>(50, 29), cv::Vec3b(250, 240, 230));
  EXPECT_EQ(pair.image.at<cv::Vec3b>(50, 28), cv::Vec3b(250, 240, 230));

  ImageMask again{original.image.clone(), original.mask.clone()};
  const cv::Mat other_labels(again.mask.size(), CV_8UC1, cv::Scalar(9));
  replace_background(again.image, again.mask, gradient(90, 120), other_labels);
  for (int y = 0; y < again.mask.rows; ++y) {
    for (int x = 0; x < again.mask.cols; ++x) {
      const int before = original.mask.at<uint8_t>(y, x);
      EXPECT_EQ(again.mask.at<uint8_t>(y, x), before == 0 ? 9 : before);
    }
  }
  EXPECT_THROW(replace_background(again.image, again.mask, gradient(10, 10)), Error);
}

TEST(Background, GradientsRunBetweenTheirColours) {
  BackgroundPlan plan;
  plan.kind = BackgroundKind::kGradient;
  plan.first = {0, 100, 200};
  plan.second = {200, 100, 0};
  plan.angle = 0.0;  // left to right
  const cv::Mat g = render_background({50, 10}, plan);
  EXPECT_EQ(g.at<cv::Vec3b>(5, 0), cv::Vec3b(0, 100, 200));
  EXPECT_EQ(g.at<cv::Vec3b>(5, 49), cv::Vec3b(200, 100, 0));
  for (int x = 1; x < 50; ++x) EXPECT_GE(g.at<cv::Vec3b>(3, x)[0], g.at<cv::Vec3b>(3, x - 1)[0]);
  plan.kind = BackgroundKind::kPhoto;
  EXPECT_THROW(render_background({5, 5}, plan), Error);
}

TEST(Background, InThePipelineThePersonStaysAlignedAndPaddingBecomesBackground) {
  const ImageMask input = person_pair();
  TransformOptions o = pipeline();
  o.scale_min = 0.5;  // small scales leave padding in the crop
  o.scale_max = 0.6;
  o.background.probability = 1.0;
  o.background.photo_share = 0.0;
  std::mt19937_64 rng(12);
  int plain = 0, gradients = 0;
  for (int i = 0; i < 16; ++i) {
    const TrainPlan plan = draw_train_plan(input.mask.size(), o, rng);
    ASSERT_NE(plan.background.kind, BackgroundKind::kNone);
    (plan.background.kind == BackgroundKind::kPlain ? plain : gradients) += 1;
    TrainPlan kept = plan;
    kept.background = {};
    const ImageMask out = apply_train_plan(input.image, input.mask, plan, o);
    const ImageMask reference = apply_train_plan(input.image, input.mask, kept, o);
    EXPECT_GT(cv::countNonZero(reference.mask == 255), 40 * 6) << "padding and the patch";
    const cv::Mat background = render_background(out.image.size(), plan.background);
    for (int y = 0; y < out.mask.rows; ++y) {
      for (int x = 0; x < out.mask.cols; ++x) {
        const int label = reference.mask.at<uint8_t>(y, x);
        const cv::Vec3b pixel = out.image.at<cv::Vec3b>(y, x);
        if (label == 3 || label == 5 || label == 7) {
          EXPECT_EQ(out.mask.at<uint8_t>(y, x), label);
        }
        // Padding is background now, with the new background's colour.
        if (label == 255 && out.mask.at<uint8_t>(y, x) == 0) {
          EXPECT_LE(cv::norm(cv::Vec3d(pixel) - cv::Vec3d(background.at<cv::Vec3b>(y, x))), 1.8);
        }
      }
    }
    // Inside the person (away from its outline), the photo is untouched.
    cv::Mat inside;
    cv::erode((reference.mask == 3) | (reference.mask == 5) | (reference.mask == 7), inside,
              cv::Mat());
    EXPECT_EQ(cv::norm(out.image, reference.image, cv::NORM_INF, inside), 0.0) << i;
  }
  EXPECT_GT(plain, 0);
  EXPECT_GT(gradients, 0);
}

TEST(Cutout, RectanglesInsideTheImageFilledWithTheColour) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 50; ++i) {
    const auto rects = draw_cutouts({48, 64}, 3, rng);
    ASSERT_GE(rects.size(), 1u);
    ASSERT_LE(rects.size(), 3u);
    for (const cv::Rect& r : rects) {
      EXPECT_EQ(r & cv::Rect(0, 0, 48, 64), r);
      EXPECT_GE(r.width, 4);
      EXPECT_LE(r.width, 20);
    }
  }
  EXPECT_TRUE(draw_cutouts({48, 64}, 0, rng).empty());
  cv::Mat rgb = gradient(20, 10);
  const cv::Mat before = rgb.clone();
  apply_cutouts(rgb, {cv::Rect(2, 3, 4, 5)}, {1, 2, 3});
  EXPECT_EQ(rgb.at<cv::Vec3b>(3, 2), cv::Vec3b(1, 2, 3));
  EXPECT_EQ(rgb.at<cv::Vec3b>(7, 5), cv::Vec3b(1, 2, 3));
  EXPECT_EQ(rgb.at<cv::Vec3b>(8, 5), before.at<cv::Vec3b>(8, 5));
  cv::Mat outside(rgb.size(), CV_8UC1, cv::Scalar(255));
  outside(cv::Rect(2, 3, 4, 5)).setTo(0);
  EXPECT_EQ(cv::norm(rgb, before, cv::NORM_INF, outside), 0.0) << "nothing changes outside";
}

}  // namespace
}  // namespace fashionseg
