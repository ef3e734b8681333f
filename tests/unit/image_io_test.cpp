// Image reading: header sizes, decoding errors, mask type checks, PNG round trips.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <tuple>

#include "fashionseg/core/error.h"
#include "fashionseg/core/files.h"
#include "fashionseg/data/image_io.h"
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

namespace fashionseg {
namespace {

std::string encoded(const std::string& extension, const cv::Mat& bgr,
                    const std::vector<int>& parameters = {}) {
  std::vector<unsigned char> bytes;
  EXPECT_TRUE(cv::imencode(extension, bgr, bytes, parameters)) << extension;
  return {bytes.begin(), bytes.end()};
}

std::string little_endian(uint32_t value, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
  return out;
}

/// The message of the Error `decode` throws ("" when it throws none).
template <typename F>
std::string error_of(F decode) {
  try {
    decode();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ImageHeader, EveryDecodedFormatGivesItsSizeFromTheHeader) {
  const cv::Mat bgr = gradient_rgb(37, 23);
  cv::Mat gray;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  const std::pair<std::string, std::string> files[] = {
      {"JPEG", encoded(".jpg", bgr)},
      {"progressive JPEG", encoded(".jpg", bgr, {cv::IMWRITE_JPEG_PROGRESSIVE, 1})},
      {"PNG", encoded(".png", bgr)},
      {"WebP lossy", encoded(".webp", bgr, {cv::IMWRITE_WEBP_QUALITY, 80})},
      {"WebP lossless", encoded(".webp", bgr, {cv::IMWRITE_WEBP_QUALITY, 101})},
      {"BMP", encoded(".bmp", bgr)},
      {"TIFF", encoded(".tiff", bgr)},
      {"PPM", encoded(".ppm", bgr)},
      {"PGM", encoded(".pgm", gray)},
      {"PGM text", encoded(".pgm", gray, {cv::IMWRITE_PXM_BINARY, 0})},
  };
  for (const auto& [format, bytes] : files) {
    const ImageSize size = parse_image_size(bytes, format);
    EXPECT_EQ(size.width, 37) << format;
    EXPECT_EQ(size.height, 23) << format;
    const cv::Mat decoded = decode_image_rgb(bytes, format, 37 * 23);
    EXPECT_EQ(decoded.size(), cv::Size(37, 23)) << format;
    EXPECT_THAT(error_of([&] { decode_image_rgb(bytes, format, 37 * 23 - 1); }),
                ::testing::HasSubstr("37x23 = 851 pixels, more than the limit of 850"))
        << format;
  }
}

TEST(ImageHeader, StrayBytesBeforeTheJpegFrameHeaderAreSkippedAsLibjpegDoes) {
  std::string bytes = encoded(".jpg", gradient_rgb(37, 23));
  const size_t sof = bytes.find("\xFF\xC0");
  ASSERT_NE(sof, std::string::npos);
  bytes.insert(sof, std::string("\x00\x42\x13", 3));
  const ImageSize size = parse_image_size(bytes, "stray.jpg");
  EXPECT_EQ(size.width, 37);
  EXPECT_EQ(size.height, 23);
  EXPECT_EQ(decode_image_rgb(bytes, "stray.jpg").size(), cv::Size(37, 23));
  // ... so such a file that claims a huge frame is refused before decoding.
  bytes[sof + 3 + 5] = static_cast<char>(0x75);  // height 0x7517 = 29975
  bytes[sof + 3 + 7] = static_cast<char>(0x75);  // width 0x75xx
  EXPECT_THAT(error_of([&] { decode_image_rgb(bytes, "stray.jpg", 50'000'000); }),
              ::testing::HasSubstr("pixels, more than the limit of 50000000"));
}

TEST(ImageHeader, SmallFilesClaimingHugeImagesAreRefusedBeforeDecoding) {
  // WebP (extended) whose canvas is 12000 x 12000, with no image data.
  const std::string webp = "RIFF" + little_endian(22, 4) + "WEBPVP8X" + little_endian(10, 4) +
                           std::string(4, '\0') + little_endian(11999, 3) + little_endian(11999, 3);
  // BMP of 60000 x 60000, 24 bits, no pixels.
  const std::string bmp = "BM" + little_endian(54, 4) + std::string(4, '\0') +
                          little_endian(54, 4) + little_endian(40, 4) + little_endian(60000, 4) +
                          little_endian(60000, 4) + little_endian(1, 2) + little_endian(24, 2) +
                          std::string(24, '\0');
  // TIFF of 60000 x 60000 with one directory of two entries.
  const std::string tiff = std::string("II*\0", 4) + little_endian(8, 4) + little_endian(2, 2) +
                           little_endian(256, 2) + little_endian(4, 2) + little_endian(1, 4) +
                           little_endian(60000, 4) + little_endian(257, 2) + little_endian(4, 2) +
                           little_endian(1, 4) + little_endian(60000, 4) + little_endian(0, 4);
  const std::string ppm = "P6\n# comment\n60000 60000\n255\n";
  for (const auto& [name, bytes, pixels] :
       {std::tuple{"webp", webp, "144000000"}, std::tuple{"bmp", bmp, "3600000000"},
        std::tuple{"tiff", tiff, "3600000000"}, std::tuple{"ppm", ppm, "3600000000"}}) {
    EXPECT_THAT(error_of([&] { decode_image_rgb(bytes, name, 50'000'000); }),
                ::testing::HasSubstr(std::string("= ") + pixels +
                                     " pixels, more than the limit of 50000000"))
        << name;
  }
}

TEST(ImageHeader, FormatsWithoutAHeaderCheckAreNotDecoded) {
  // OpenCV reads Sun raster and Radiance HDR too, but their sizes are not checked here, so
  // they are refused rather than decoded unchecked.
  const cv::Mat bgr = gradient_rgb(8, 8);
  cv::Mat radiance;
  bgr.convertTo(radiance, CV_32FC3, 1.0 / 255);
  for (const auto& [extension, bytes] :
       {std::pair{".ras", encoded(".ras", bgr)}, std::pair{".hdr", encoded(".hdr", radiance)}}) {
    EXPECT_THAT(error_of([&] { decode_image_rgb(bytes, extension); }),
                ::testing::HasSubstr("not a JPEG, PNG, WebP, BMP, TIFF or PNM image"))
        << extension;
  }
}

}  // namespace
}  // namespace fashionseg

namespace fashionseg {
namespace {

TEST(ImageHeader, ATruncatedJpegOrPngIsRecognised) {
  const cv::Mat bgr = gradient_rgb(64, 48);
  for (const char* extension : {".jpg", ".png"}) {
    const std::string whole = encoded(extension, bgr);
    EXPECT_FALSE(image_looks_truncated(whole)) << extension;
    EXPECT_FALSE(image_looks_truncated(whole + std::string(5, '\0'))) << extension;
    EXPECT_TRUE(image_looks_truncated(whole.substr(0, whole.size() * 2 / 3))) << extension;
  }
  EXPECT_FALSE(image_looks_truncated(encoded(".bmp", bgr)));
}

}  // namespace
}  // namespace fashionseg
