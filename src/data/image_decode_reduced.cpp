#include "fashionseg/image_decode_reduced.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "fashionseg/error.h"
#include "fashionseg/image_io.h"

namespace fashionseg {
namespace {

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
      return decode_image_rgb(bytes, name);
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
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

}  // namespace fashionseg
