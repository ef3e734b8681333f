// Image reading: header sizes, decoding errors, mask type checks, PNG round trips.
#include <gtest/gtest.h>

#include <fstream>

#include "fashionseg/error.h"
#include "fashionseg/files.h"
#include "fashionseg/image_io.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

cv::Mat gradient_rgb(int w, int h) {
  cv::Mat rgb(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) rgb.at<cv::Vec3b>(y, x) = cv::Vec3b(x % 256, y % 256, 200);
  return rgb;
}

TEST(ImageIo, HeaderSizeOfJpegAndPngMatchesDecode) {
  test::TempDir dir;
  const cv::Mat rgb = gradient_rgb(37, 23);
  write_jpeg(dir / "a.jpg", rgb);
  write_png(dir / "a.png", rgb);
  for (const char* name : {"a.jpg", "a.png"}) {
    const ImageSize size = read_image_size(dir / name);
    EXPECT_EQ(size.width, 37) << name;
    EXPECT_EQ(size.height, 23) << name;
    const cv::Mat decoded = read_image_rgb(dir / name);
    EXPECT_EQ(decoded.cols, 37);
    EXPECT_EQ(decoded.rows, 23);
  }
}

TEST(ImageIo, PngRoundTripKeepsRgbOrder) {
  test::TempDir dir;
  const cv::Mat rgb = gradient_rgb(8, 5);
  write_png(dir / "c.png", rgb);
  const cv::Mat back = read_image_rgb(dir / "c.png");
  EXPECT_EQ(cv::norm(rgb, back, cv::NORM_INF), 0.0);
}

TEST(ImageIo, GarbageBytesGiveInputErrorNamingTheFile) {
  try {
    decode_image_rgb("not an image at all", "upload.jpg");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput);
    EXPECT_NE(std::string(e.what()).find("upload.jpg"), std::string::npos);
  }
  EXPECT_THROW(parse_image_size("GIF89a....", "x.gif"), Error);
  EXPECT_THROW(parse_image_size(std::string("\xFF\xD8\xFF\xE0", 4), "t.jpg"), Error);
}

TEST(ImageIo, TruncatedJpegIsAnInputError) {
  test::TempDir dir;
  write_jpeg(dir / "a.jpg", gradient_rgb(64, 64));
  std::string bytes = read_file(dir / "a.jpg");
  EXPECT_THROW(decode_image_rgb(bytes.substr(0, 20), "cut.jpg"), Error);
}

TEST(ImageIo, MaskMustBeSingleChannel) {
  test::TempDir dir;
  write_png(dir / "rgb.png", gradient_rgb(4, 4));
  EXPECT_THROW(read_label_mask(dir / "rgb.png"), Error);
  cv::Mat labels(3, 4, CV_8UC1, cv::Scalar(7));
  labels.at<uint8_t>(1, 2) = 255;
  write_png(dir / "m.png", labels, false);
  const cv::Mat back = read_label_mask(dir / "m.png");
  EXPECT_EQ(cv::norm(labels, back, cv::NORM_INF), 0.0);
}

}  // namespace
}  // namespace fashionseg
