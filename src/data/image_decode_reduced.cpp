#include "fashionseg/data/image_decode_reduced.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <csetjmp>
#include <cstdio>  // jpeglib.h needs FILE
#include <cstring>

#include <jpeglib.h>

#include "fashionseg/core/error.h"
#include "fashionseg/data/image_io.h"

namespace fashionseg {
namespace {

// libjpeg reports fatal errors through error_exit, which must not return: jump back to the
// decode call, which then throws (C++ exceptions must not cross the C library).
struct JpegErrors {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_fail(j_common_ptr info) {
  auto* errors = reinterpret_cast<JpegErrors*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

void jpeg_ignore_message(j_common_ptr) {}

// The EXIF orientation tag (0x0112) of IFD0 in an APP1 "Exif" segment; 1 (upright) when
// there is none or it cannot be read.
int exif_orientation(const jpeg_decompress_struct& info) {
  for (jpeg_saved_marker_ptr m = info.marker_list; m != nullptr; m = m->next) {
    if (m->marker != JPEG_APP0 + 1 || m->data_length < 14 ||
        std::memcmp(m->data, "Exif\0\0", 6) != 0) {
      continue;
    }
    const unsigned char* tiff = m->data + 6;
    const size_t size = m->data_length - 6;
    const bool little = tiff[0] == 'I' && tiff[1] == 'I';
    if (!little && !(tiff[0] == 'M' && tiff[1] == 'M')) return 1;
    auto u16 = [&](size_t at) -> unsigned {
      return little ? tiff[at] | (tiff[at + 1] << 8) : (tiff[at] << 8) | tiff[at + 1];
    };
    auto u32 = [&](size_t at) -> size_t {
      return little ? size_t(u16(at)) | (size_t(u16(at + 2)) << 16)
                    : (size_t(u16(at)) << 16) | size_t(u16(at + 2));
    };
    const size_t ifd = u32(4);
    if (ifd + 2 > size) return 1;
    const unsigned entries = u16(ifd);
    for (unsigned i = 0; i < entries; ++i) {
      const size_t entry = ifd + 2 + 12 * size_t(i);
      if (entry + 12 > size) return 1;
      if (u16(entry) == 0x0112) return static_cast<int>(u16(entry + 8));
    }
  }
  return 1;
}

enum class JpegResult { kDecoded, kUnsupported };

// Decodes straight to RGB at 1/reduction size. kUnsupported for what OpenCV handles better:
// rotated photos (EXIF orientation) and CMYK. Throws Error(kInput) for corrupt data.
JpegResult decode_jpeg_rgb(std::string_view bytes, const std::string& name, int reduction,
                           cv::Mat& rgb) {
  jpeg_decompress_struct info;
  JpegErrors errors;
  info.err = jpeg_std_error(&errors.manager);
  errors.manager.error_exit = jpeg_fail;
  errors.manager.output_message = jpeg_ignore_message;  // warnings: as OpenCV, decode on
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&info);
    throw_input_error(std::string("cannot decode JPEG: ") + errors.message, {name, 0, ""});
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, reinterpret_cast<const unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
  jpeg_save_markers(&info, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(&info, TRUE);
  if (exif_orientation(info) != 1 || info.jpeg_color_space == JCS_CMYK ||
      info.jpeg_color_space == JCS_YCCK) {
    jpeg_destroy_decompress(&info);
    return JpegResult::kUnsupported;
  }
  info.scale_num = 1;
  info.scale_denom = static_cast<unsigned>(reduction);
  info.out_color_space = JCS_RGB;
  jpeg_start_decompress(&info);
  // Created before any further jump can happen; the caller owns it.
  rgb.create(static_cast<int>(info.output_height), static_cast<int>(info.output_width), CV_8UC3);
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = rgb.ptr<unsigned char>(static_cast<int>(info.output_scanline));
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return JpegResult::kDecoded;
}

bool is_jpeg(std::string_view bytes) {
  return bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
         static_cast<unsigned char>(bytes[1]) == 0xD8 &&
         static_cast<unsigned char>(bytes[2]) == 0xFF;
}

}  // namespace

int decode_reduction_for(cv::Size full, cv::Size target) {
  for (int reduction : {8, 4, 2}) {
    // libjpeg rounds reduced sides up, so floor division is the safe lower bound.
    if (full.width / reduction >= target.width && full.height / reduction >= target.height) {
      return reduction;
    }
  }
  return 1;
}

cv::Mat decode_image_rgb_reduced(std::string_view bytes, const std::string& name, int reduction) {
  int flags = 0;
  switch (reduction) {
    case 1:
      flags = cv::IMREAD_COLOR;
      break;
    case 2:
      flags = cv::IMREAD_REDUCED_COLOR_2;
      break;
    case 4:
      flags = cv::IMREAD_REDUCED_COLOR_4;
      break;
    case 8:
      flags = cv::IMREAD_REDUCED_COLOR_8;
      break;
    default:
      throw_config_error("decode reduction must be 1, 2, 4 or 8, got " + std::to_string(reduction));
  }
  if (!is_jpeg(bytes)) return decode_image_rgb(bytes, name);
  check_pixel_limit(parse_image_size(bytes, name), kDefaultMaxPixels, {name, 0, ""});
  // libjpeg straight to RGB: OpenCV would decode to RGB, swap to BGR in a scalar loop, and
  // the caller would swap back; together that doubled the cost of a reduced decode.
  cv::Mat rgb;
  if (decode_jpeg_rgb(bytes, name, reduction, rgb) == JpegResult::kDecoded) return rgb;
  if (reduction == 1) return decode_image_rgb(bytes, name);
  const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
  cv::Mat bgr;
  try {
    // The reduced colour modes apply the EXIF orientation like IMREAD_COLOR.
    bgr = cv::imdecode(buffer, flags);
  } catch (const cv::Exception& e) {
    throw_input_error(std::string("cannot decode image: ") + e.what(), {name, 0, ""});
  }
  if (bgr.empty()) {
    throw_input_error("cannot decode image (corrupt or unsupported format)", {name, 0, ""});
  }
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

}  // namespace fashionseg
