// The pure parts of POST /v1/segment: query parsing, finding the image, the pixel limit
// checked from the header before decoding, the mask's encodings and the model's description.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "fashionseg/data/coco_mask.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/data/prediction_formats.h"
#include "fashionseg/data/render.h"
#include "fashionseg/data/report.h"
#include "fashionseg/data/rle.h"
#include "serve/http_error.h"
#include "serve/segment_request.h"

namespace fashionseg::serve {
namespace {

using ::testing::HasSubstr;
using Params = std::multimap<std::string, std::string>;

/// The status and message of the HttpError `action` throws (0 when it throws none).
template <typename Action>
std::pair<int, std::string> http_error_of(Action action) {
  try {
    action();
  } catch (const HttpError& error) {
    return {error.status(), error.what()};
  }
  return {0, ""};
}

TEST(SegmentQuery, DefaultsComeFromTheServiceAndEachParameterOverridesOne) {
  ServeOptions defaults;
  defaults.flip = true;
  defaults.min_area = 0.01;
  const SegmentQuery plain = parse_segment_query({}, defaults);
  EXPECT_EQ(plain.mask, MaskFormat::kPng);
  EXPECT_TRUE(plain.flip);
  EXPECT_DOUBLE_EQ(plain.min_area, 0.01);
  const SegmentQuery set =
      parse_segment_query({{"mask", "rle"}, {"flip", "0"}, {"min_area", "0.25"}}, defaults);
  EXPECT_EQ(set.mask, MaskFormat::kRle);
  EXPECT_FALSE(set.flip);
  EXPECT_DOUBLE_EQ(set.min_area, 0.25);
  EXPECT_EQ(parse_segment_query({{"mask", "none"}}, defaults).mask, MaskFormat::kNone);
  EXPECT_TRUE(plain.colors);
  EXPECT_FALSE(parse_segment_query({{"colors", "0"}}, defaults).colors);
  EXPECT_TRUE(parse_segment_query({{"colors", "1"}}, defaults).colors);
  // A min_area that someone asked for replaces a calibrated model's per-class areas.
  EXPECT_FALSE(plain.min_area_given);
  EXPECT_TRUE(set.min_area_given);
  ServeOptions given = defaults;
  given.min_area_given = true;  // serve --min-area
  EXPECT_TRUE(parse_segment_query({}, given).min_area_given);
}

TEST(SegmentQuery, EachBadParameterIsA400NamingIt) {
  const ServeOptions defaults;
  const std::pair<Params, std::string> cases[] = {
      {{{"mask", "gif"}}, "mask=gif is not one of png, rle, none"},
      {{{"flip", "yes"}}, "flip=yes is not 0 or 1"},
      {{{"min_area", "1"}}, "min_area=1 is not a number in [0, 1)"},
      {{{"min_area", "0.1x"}}, "min_area=0.1x"},
      {{{"min_area", "-0.5"}}, "min_area=-0.5"},
      {{{"min_area", ""}}, "min_area= has no value"},
      {{{"flip", "1"}, {"flip", "0"}}, "flip is given more than once"},
      {{{"colors", "yes"}}, "colors=yes is not 0 or 1"},
      {{{"colour", "1"}}, "unknown parameter 'colour'"},
  };
  for (const auto& [params, message] : cases) {
    const auto [status, text] = http_error_of([&] { parse_segment_query(params, defaults); });
    EXPECT_EQ(status, 400) << message;
    EXPECT_THAT(text, HasSubstr(message));
    EXPECT_THAT(text, HasSubstr("POST /v1/segment"));
  }
}

TEST(RequestImage, TheFormFieldImageOrTheRawBody) {
  EXPECT_EQ(request_image(false, {}, "raw bytes"), "raw bytes");
  const FormFields fields = {{"note", "x"}, {"image", "form bytes"}};
  EXPECT_EQ(request_image(true, fields, "ignored"), "form bytes");
  EXPECT_THAT(http_error_of([] {
                request_image(true, {{"photo", "x"}}, "");
              }).second,
              HasSubstr("no field named \"image\""));
  EXPECT_EQ(http_error_of([] { request_image(false, {}, ""); }).first, 400);
  EXPECT_THAT(http_error_of([] {
                request_image(true, {{"image", ""}}, "");
              }).second,
              HasSubstr("the image is empty"));
}

std::string png_bytes(const cv::Mat& rgb) {
  const std::vector<unsigned char> bytes = encode_png(rgb);
  return {bytes.begin(), bytes.end()};
}

TEST(DecodeRequestImage, DecodesAndRefusesTooManyPixelsBeforeDecoding) {
  cv::Mat rgb(30, 20, CV_8UC3, cv::Scalar(10, 200, 30));
  const std::string png = png_bytes(rgb);
  const cv::Mat decoded = decode_request_image(png, 600);
  ASSERT_EQ(decoded.size(), rgb.size());
  EXPECT_EQ(decoded.at<cv::Vec3b>(0, 0), cv::Vec3b(10, 200, 30));
  EXPECT_THAT(http_error_of([&] { decode_request_image(png, 599); }).second,
              HasSubstr("20x30 = 600 pixels, more than the limit of 599"));

  // A tiny file whose header claims 100000 x 100000 pixels: refused from the header alone
  // (decoding it would try to allocate 30 GB).
  std::string huge = png;
  const unsigned char size_bytes[8] = {0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0};
  huge.replace(16, 8, reinterpret_cast<const char*>(size_bytes), 8);
  const auto [status, text] = http_error_of([&] { decode_request_image(huge, 50'000'000); });
  EXPECT_EQ(status, 400);
  EXPECT_THAT(text, HasSubstr("100000x100000"));

  const auto [bad_status, bad_text] =
      http_error_of([] { decode_request_image("GIF89a not really", 1000); });
  EXPECT_EQ(bad_status, 400);
  EXPECT_THAT(bad_text, HasSubstr("cannot decode"));
  const auto truncated =
      http_error_of([&] { decode_request_image(png.substr(0, png.size() / 2), 1000); });
  EXPECT_EQ(truncated.first, 400);
}

std::vector<FoundCategory> found(std::initializer_list<int> ids) {
  std::vector<FoundCategory> categories;
  for (int id : ids) {
    FoundCategory c;
    c.id = id;
    categories.push_back(c);
  }
  return categories;
}

TEST(KeepOnly, ClassesNotListedBecomeBackground) {
  const cv::Mat labels = (cv::Mat_<uint8_t>(2, 3) << 0, 1, 2, 3, 2, 1);
  const cv::Mat kept = keep_only(labels, found({2, 3}));
  const cv::Mat expected = (cv::Mat_<uint8_t>(2, 3) << 0, 0, 2, 3, 2, 0);
  EXPECT_EQ(cv::countNonZero(kept != expected), 0);
}

TEST(MaskJson, PngIsTheGrayLabelImageAndRleDecodesToEachClass) {
  cv::Mat labels(7, 5, CV_8UC1, cv::Scalar(0));
  labels(cv::Rect(1, 1, 2, 4)).setTo(4);
  labels(cv::Rect(3, 5, 2, 2)).setTo(9);
  const auto categories = found({4, 9});

  const nlohmann::json png = mask_json(labels, MaskFormat::kPng, categories);
  EXPECT_EQ(png["format"], "png");
  const std::string base64 = png["data"];
  const std::vector<unsigned char> expected = encode_png(labels, false);
  EXPECT_EQ(base64, base64_encode(expected));
  const cv::Mat decoded = cv::imdecode(expected, cv::IMREAD_UNCHANGED);
  EXPECT_EQ(cv::countNonZero(decoded != labels), 0);

  const nlohmann::json rle = mask_json(labels, MaskFormat::kRle, categories);
  EXPECT_EQ(rle["format"], "rle");
  EXPECT_EQ(rle["encoding"], "coco");
  EXPECT_EQ(rle["size"], nlohmann::json({7, 5}));
  for (int id : {4, 9}) {
    const std::string counts = rle["counts"][std::to_string(id)];
    cv::Mat painted(7, 5, CV_8UC1, cv::Scalar(0));
    paint_runs(runs_from_coco_counts(coco_counts_from_string(counts), 7, 5), 1, painted);
    EXPECT_EQ(cv::countNonZero(painted != (labels == id) / 255), 0) << id;
  }
  EXPECT_TRUE(mask_json(labels, MaskFormat::kNone, categories).is_null());
}

TEST(ModelJson, ClassesWithThePalettesColours) {
  ServedModel model;
  model.architecture = "unet";
  model.class_names = {"background", "shirt, blouse", "shoe"};
  model.input_size = {192, 288};
  model.parameters = 1234;
  const nlohmann::json json = model_json(model);
  EXPECT_EQ(json["architecture"], "unet");
  EXPECT_EQ(json["input"], nlohmann::json({{"height", 288}, {"width", 192}}));
  EXPECT_EQ(json["parameters"], 1234);
  ASSERT_EQ(json["classes"].size(), 3u);
  EXPECT_EQ(json["classes"][2]["name"], "shoe");
  const auto rgb = label_color(2);
  char hex[8];
  std::snprintf(hex, sizeof(hex), "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
  EXPECT_EQ(json["classes"][2]["color"], hex);
  EXPECT_EQ(label_color_hex(0), "#000000");
}

}  // namespace
}  // namespace fashionseg::serve
