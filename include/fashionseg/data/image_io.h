#pragma once
/// Reading and writing images and label masks with clear errors. Photos come back as 8-bit
/// RGB (EXIF orientation applied); masks as 8-bit single-channel label images.

#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "fashionseg/core/error.h"

namespace fashionseg {

/// Pixel size of an image, read from its header without decoding the pixels.
struct ImageSize {
  int width = 0;
  int height = 0;
};

/// The largest image (width x height) decoded unless a caller allows more: 100 megapixels,
/// about 300 MB as RGB (the serve, prepare and predict commands take --max-pixels).
constexpr int64_t kDefaultMaxPixels = 100'000'000;

/// Reads the size of a JPEG, PNG, WebP, BMP, TIFF or PNM image from its header (stored
/// orientation, before EXIF rotation). These are the only formats decoded: Error(kInput) for
/// others or truncated headers, Error(kNotFound) when the file is missing.
ImageSize read_image_size(const std::filesystem::path& path);

/// Same, from an encoded buffer; `name` appears in errors.
ImageSize parse_image_size(std::string_view bytes, const std::string& name);

/// True when an encoded JPEG or PNG lacks its end marker (EOI, IEND): a truncated file whose
/// header is intact. Decoders fill in the missing rows, so it decodes "fine".
bool image_looks_truncated(std::string_view bytes);

/// Throws Error(kInput) at `where` when `size` has more than `max_pixels` pixels.
void check_pixel_limit(ImageSize size, int64_t max_pixels, const Location& where);

/// Decodes a photo to 8-bit RGB (CV_8UC3), EXIF orientation applied. Its header is read
/// first: an image of more than `max_pixels`, or of a format parse_image_size does not know,
/// is refused before anything is allocated. Throws Error(kInput) naming `name` when the bytes
/// are not a decodable image.
cv::Mat decode_image_rgb(std::string_view bytes, const std::string& name,
                         int64_t max_pixels = kDefaultMaxPixels);

/// Reads a photo file to 8-bit RGB (as decode_image_rgb). Throws Error(kNotFound) /
/// Error(kInput).
cv::Mat read_image_rgb(const std::filesystem::path& path, int64_t max_pixels = kDefaultMaxPixels);

/// Reads a label mask: a PNG with one 8-bit channel (CV_8UC1), values untouched.
/// Throws Error(kInput) if it is not a single-channel 8-bit image or has more than
/// `max_pixels` pixels.
cv::Mat read_label_mask(const std::filesystem::path& path, int64_t max_pixels = kDefaultMaxPixels);

/// Encodes an image as PNG (lossless). RGB input (CV_8UC3) is stored as RGB.
std::vector<unsigned char> encode_png(const cv::Mat& image, bool input_is_rgb = true);

/// Encodes an RGB image as JPEG with the given quality.
std::vector<unsigned char> encode_jpeg(const cv::Mat& rgb, int quality = 92);

/// Writes an image as PNG atomically (temp file + rename). RGB input is stored as RGB.
void write_png(const std::filesystem::path& path, const cv::Mat& image, bool input_is_rgb = true);

/// Writes an RGB image as JPEG atomically.
void write_jpeg(const std::filesystem::path& path, const cv::Mat& rgb, int quality = 92);

}  // namespace fashionseg
