// Reduced-size photo decoding: sizes, equality with OpenCV's decoder, EXIF orientation (both
// byte orders), non-JPEG input, errors.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "fashionseg/core/error.h"
#include "fashionseg/data/image_decode_reduced.h"
#include "fashionseg/data/image_io.h"

namespace fashionseg {
namespace {

cv::Mat test_photo(int w, int h) {
  cv::Mat rgb(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      rgb.at<cv::Vec3b>(y, x) =
          cv::Vec3b((x * 3) % 256, (y * 2) % 256, ((x / 16 + y / 16) % 2) * 200);
  return rgb;
}

std::string as_string(const std::vector<unsigned char>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// OpenCV's own reduced decode, converted to RGB: the reference.
cv::Mat opencv_reduced(const std::string& bytes, int flags) {
  const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
  cv::Mat bgr = cv::imdecode(buffer, flags), rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

// Inserts an APP1 Exif segment holding only IFD0's orientation tag right after SOI.
std::string with_orientation(const std::string& jpeg, int orientation, bool little_endian) {
  auto u16 = [&](unsigned v) {
    return little_endian ? std::string{char(v & 0xFF), char(v >> 8)}
                         : std::string{char(v >> 8), char(v & 0xFF)};
  };
  auto u32 = [&](unsigned v) {
    return little_endian ? u16(v & 0xFFFF) + u16(v >> 16) : u16(v >> 16) + u16(v & 0xFFFF);
  };
  std::string tiff = little_endian ? std::string("II") : std::string("MM");
  tiff += u16(42) + u32(8);                                  // header, IFD0 at offset 8
  tiff += u16(1);                                            // one entry
  tiff += u16(0x0112) + u16(3) + u32(1);                     // orientation, SHORT, count 1
  tiff += u16(static_cast<unsigned>(orientation)) + u16(0);  // value, padding
  tiff += u32(0);                                            // no next IFD
  const std::string payload = std::string("Exif\0\0", 6) + tiff;
  const unsigned length = static_cast<unsigned>(payload.size() + 2);
  std::string segment = {char(0xFF), char(0xE1), char(length >> 8), char(length & 0xFF)};
  return jpeg.substr(0, 2) + segment + payload + jpeg.substr(2);
}

TEST(ReducedDecode, ReductionForTargetSizes) {
  EXPECT_EQ(decode_reduction_for({550, 832}, {192, 290}), 2);
  EXPECT_EQ(decode_reduction_for({550, 832}, {60, 90}), 8);
  EXPECT_EQ(decode_reduction_for({550, 832}, {130, 200}), 4);
  EXPECT_EQ(decode_reduction_for({550, 832}, {300, 450}), 1);
  EXPECT_EQ(decode_reduction_for({550, 832}, {1100, 1664}), 1);
}

TEST(ReducedDecode, JpegSizesRoundUpAndPixelsMatchOpenCv) {
  const std::string jpeg = as_string(encode_jpeg(test_photo(101, 67), 90));
  const std::pair<int, int> modes[] = {{1, cv::IMREAD_COLOR},
                                       {2, cv::IMREAD_REDUCED_COLOR_2},
                                       {4, cv::IMREAD_REDUCED_COLOR_4},
                                       {8, cv::IMREAD_REDUCED_COLOR_8}};
  for (const auto& [reduction, flags] : modes) {
    const cv::Mat rgb = decode_image_rgb_reduced(jpeg, "photo.jpg", reduction);
    ASSERT_EQ(rgb.type(), CV_8UC3);
    EXPECT_EQ(rgb.cols, (101 + reduction - 1) / reduction) << reduction;
    EXPECT_EQ(rgb.rows, (67 + reduction - 1) / reduction) << reduction;
    const cv::Mat reference = opencv_reduced(jpeg, flags);
    ASSERT_EQ(reference.size(), rgb.size());
    EXPECT_EQ(cv::norm(rgb, reference, cv::NORM_INF), 0) << "reduction " << reduction;
  }
  EXPECT_EQ(cv::norm(decode_image_rgb_reduced(jpeg, "photo.jpg", 1),
                     decode_image_rgb(jpeg, "photo.jpg"), cv::NORM_INF),
            0);
}

TEST(ReducedDecode, ExifOrientationIsApplied) {
  const std::string jpeg = as_string(encode_jpeg(test_photo(64, 40), 90));
  for (bool little : {true, false}) {
    const std::string rotated = with_orientation(jpeg, 6, little);  // 90 degrees clockwise
    for (int reduction : {1, 2}) {
      const cv::Mat rgb = decode_image_rgb_reduced(rotated, "rotated.jpg", reduction);
      EXPECT_EQ(rgb.size(), cv::Size(40 / reduction, 64 / reduction))
          << "little endian " << little << ", reduction " << reduction;
    }
    // Orientation 1 is upright: same pixels as without the tag.
    const std::string upright = with_orientation(jpeg, 1, little);
    EXPECT_EQ(cv::norm(decode_image_rgb_reduced(upright, "upright.jpg", 2),
                       decode_image_rgb_reduced(jpeg, "plain.jpg", 2), cv::NORM_INF),
              0);
  }
}

TEST(ReducedDecode, OtherFormatsComeAtFullSize) {
  const cv::Mat photo = test_photo(30, 20);
  const std::string png = as_string(encode_png(photo));
  const cv::Mat rgb = decode_image_rgb_reduced(png, "photo.png", 4);
  EXPECT_EQ(rgb.size(), cv::Size(30, 20));
  EXPECT_EQ(cv::norm(rgb, photo, cv::NORM_INF), 0);
}

TEST(ReducedDecode, Errors) {
  const std::string jpeg = as_string(encode_jpeg(test_photo(30, 20), 90));
  try {
    decode_image_rgb_reduced(jpeg.substr(0, 40) + std::string(50, '\x13'), "broken.jpg", 2);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput);
    EXPECT_NE(std::string(e.what()).find("broken.jpg"), std::string::npos) << e.what();
  }
  EXPECT_THROW(decode_image_rgb_reduced("not an image", "x.jpg", 2), Error);
  EXPECT_THROW(decode_image_rgb_reduced(jpeg, "photo.jpg", 3), Error);
}

}  // namespace
}  // namespace fashionseg
