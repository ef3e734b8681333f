#include "fashionseg/data/image_io.h"

#include <spdlog/spdlog.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "fashionseg/core/error.h"
#include "fashionseg/core/files.h"

namespace fashionseg {
ImageSize read_image_size(const std::filesystem::path& path) {
  // A JPEG's frame header can follow a large EXIF block, so read the whole file; photos are
  // small next to the decode that follows anyway.
  return parse_image_size(read_file(path), path.string());
}

cv::Mat decode_image_rgb(std::string_view bytes, const std::string& name, int64_t max_pixels) {
  if (bytes.empty()) throw_input_error("empty image", {name, 0, ""});
  // Before the decoder allocates anything (and only formats whose header is understood).
  check_pixel_limit(parse_image_size(bytes, name), max_pixels, {name, 0, ""});
  const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
  cv::Mat bgr;
  try {
    // IMREAD_COLOR applies the EXIF orientation.
    bgr = cv::imdecode(buffer, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw_input_error(std::string("cannot decode image: ") + e.what(), {name, 0, ""});
  }
  if (bgr.empty()) {
    throw_input_error("cannot decode image (corrupt or unsupported format)", {name, 0, ""});
  }
  if (image_looks_truncated(bytes)) {
    spdlog::warn(
        "{}: the image ends before its end marker (a truncated file?); the missing "
        "part was decoded as gray",
        name);
  }
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

cv::Mat read_image_rgb(const std::filesystem::path& path, int64_t max_pixels) {
  return decode_image_rgb(read_file(path), path.string(), max_pixels);
}

cv::Mat read_label_mask(const std::filesystem::path& path, int64_t max_pixels) {
  const std::string bytes = read_file(path);
  check_pixel_limit(parse_image_size(bytes, path.string()), max_pixels, {path.string(), 0, ""});
  const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
  cv::Mat mask;
  try {
    mask = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw_input_error(std::string("cannot decode mask: ") + e.what(), {path.string(), 0, ""});
  }
  if (mask.empty()) throw_input_error("cannot decode mask", {path.string(), 0, ""});
  if (mask.type() != CV_8UC1) {
    throw_input_error("a label mask must be a single-channel 8-bit PNG, got " +
                          std::to_string(mask.channels()) + " channel(s) of depth " +
                          std::to_string(mask.depth()),
                      {path.string(), 0, ""});
  }
  return mask;
}

std::vector<unsigned char> encode_png(const cv::Mat& image, bool input_is_rgb) {
  // A fresh Mat for the conversion: assigning `image` would share its buffer, and cvtColor
  // would then swap the caller's channels in place.
  cv::Mat to_write;
  if (input_is_rgb && image.channels() == 3) {
    cv::cvtColor(image, to_write, cv::COLOR_RGB2BGR);
  } else if (input_is_rgb && image.channels() == 4) {
    cv::cvtColor(image, to_write, cv::COLOR_RGBA2BGRA);
  } else {
    to_write = image;
  }
  std::vector<unsigned char> bytes;
  // Compression 1: masks compress well anyway and level 1 is several times faster than 3.
  if (!cv::imencode(".png", to_write, bytes, {cv::IMWRITE_PNG_COMPRESSION, 1})) {
    throw Error(ErrorKind::kInternal, "PNG encoding failed");
  }
  return bytes;
}

std::vector<unsigned char> encode_jpeg(const cv::Mat& rgb, int quality) {
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  std::vector<unsigned char> bytes;
  if (!cv::imencode(".jpg", bgr, bytes, {cv::IMWRITE_JPEG_QUALITY, quality})) {
    throw Error(ErrorKind::kInternal, "JPEG encoding failed");
  }
  return bytes;
}

void write_png(const std::filesystem::path& path, const cv::Mat& image, bool input_is_rgb) {
  write_file_atomic(path, encode_png(image, input_is_rgb));
}

void write_jpeg(const std::filesystem::path& path, const cv::Mat& rgb, int quality) {
  write_file_atomic(path, encode_jpeg(rgb, quality));
}

}  // namespace fashionseg
