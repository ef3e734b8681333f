#include "fashionseg/image_io.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "fashionseg/error.h"
#include "fashionseg/files.h"

namespace fashionseg {
namespace {

uint32_t big_endian32(const unsigned char* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}
uint16_t big_endian16(const unsigned char* p) { return uint16_t((p[0] << 8) | p[1]); }

ImageSize parse_png_size(const unsigned char* p, size_t n, const std::string& name) {
  if (n < 24) throw_input_error("truncated PNG header", {name, 0, ""});
  return {static_cast<int>(big_endian32(p + 16)), static_cast<int>(big_endian32(p + 20))};
}

ImageSize parse_jpeg_size(const unsigned char* p, size_t n, const std::string& name) {
  size_t i = 2;
  while (i + 4 <= n) {
    if (p[i] != 0xFF) throw_input_error("corrupt JPEG: marker expected", {name, 0, ""});
    const unsigned char marker = p[i + 1];
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      i += 2;
      continue;
    }
    const uint16_t length = big_endian16(p + i + 2);
    // SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
    const bool is_sof =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (is_sof) {
      if (i + 9 > n) break;
      return {static_cast<int>(big_endian16(p + i + 7)), static_cast<int>(big_endian16(p + i + 5))};
    }
    if (length < 2) throw_input_error("corrupt JPEG: bad segment length", {name, 0, ""});
    i += 2 + length;
  }
  throw_input_error("truncated JPEG: no frame header found", {name, 0, ""});
}

}  // namespace

ImageSize parse_image_size(std::string_view bytes, const std::string& name) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  static const unsigned char kPng[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (n >= 8 && std::equal(kPng, kPng + 8, p)) return parse_png_size(p, n, name);
  if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return parse_jpeg_size(p, n, name);
  throw_input_error("not a JPEG or PNG image", {name, 0, ""}, "photos must be JPEG or PNG files");
}

ImageSize read_image_size(const std::filesystem::path& path) {
  // A JPEG's frame header can follow a large EXIF block, so read the whole file; photos are
  // small next to the decode that follows anyway.
  return parse_image_size(read_file(path), path.string());
}

cv::Mat decode_image_rgb(std::string_view bytes, const std::string& name) {
  if (bytes.empty()) throw_input_error("empty image", {name, 0, ""});
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
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

cv::Mat read_image_rgb(const std::filesystem::path& path) {
  return decode_image_rgb(read_file(path), path.string());
}

cv::Mat read_label_mask(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
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
