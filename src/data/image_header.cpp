// The size of an image from its header, for every format the photo decoder is allowed to
// read. Decoding is refused for anything not recognised here, so the pixel limit holds
// before any decoder allocates: a small file cannot claim a huge image and get it allocated.
// Each parser follows what its decoder library does (libjpeg skips stray bytes before a
// marker, libwebp takes the VP8X canvas, libtiff reads the first directory).
#include <cstdint>
#include <cstring>
#include <string>

#include "fashionseg/core/error.h"
#include "fashionseg/data/image_io.h"

namespace fashionseg {
namespace {

using Bytes = const unsigned char*;

uint32_t big32(Bytes p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}
uint16_t big16(Bytes p) { return uint16_t((p[0] << 8) | p[1]); }
uint32_t little32(Bytes p) {
  return (uint32_t(p[3]) << 24) | (uint32_t(p[2]) << 16) | (uint32_t(p[1]) << 8) | uint32_t(p[0]);
}
uint16_t little16(Bytes p) { return uint16_t((p[1] << 8) | p[0]); }

[[noreturn]] void bad(const std::string& message, const std::string& name) {
  throw_input_error(message, {name, 0, ""});
}

/// A size as the decoder will see it; sides of 0 or beyond int are refused here.
ImageSize checked(uint64_t width, uint64_t height, const char* format, const std::string& name) {
  if (width == 0 || height == 0 || width > INT32_MAX || height > INT32_MAX) {
    bad(std::string("invalid ") + format + " header: size " + std::to_string(width) + " x " +
            std::to_string(height),
        name);
  }
  return {static_cast<int>(width), static_cast<int>(height)};
}

ImageSize png_size(Bytes p, size_t n, const std::string& name) {
  if (n < 24 || std::memcmp(p + 12, "IHDR", 4) != 0) bad("truncated or corrupt PNG header", name);
  return checked(big32(p + 16), big32(p + 20), "PNG", name);
}

ImageSize jpeg_size(Bytes p, size_t n, const std::string& name) {
  size_t i = 2;  // after SOI
  for (;;) {
    // As libjpeg's next_marker: skip anything up to an 0xFF, then fill bytes; FF 00 is data.
    while (i < n && p[i] != 0xFF) ++i;
    while (i < n && p[i] == 0xFF) ++i;
    if (i >= n) break;
    const unsigned char marker = p[i++];
    if (marker == 0x00) continue;
    if (marker == 0x01 || marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7)) continue;
    if (marker == 0xD9 || marker == 0xDA) {
      bad("corrupt JPEG: no frame header before the image data", name);
    }
    if (i + 2 > n) break;
    const uint16_t length = big16(p + i);
    // SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
    const bool is_sof =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (is_sof) {
      if (i + 7 > n) break;
      return checked(big16(p + i + 5), big16(p + i + 3), "JPEG", name);
    }
    if (length < 2) bad("corrupt JPEG: bad segment length", name);
    i += length;
  }
  bad("truncated JPEG: no frame header found", name);
}

ImageSize webp_size(Bytes p, size_t n, const std::string& name) {
  if (n < 30) bad("truncated WebP header", name);
  Bytes chunk = p + 12;
  Bytes data = p + 20;
  if (std::memcmp(chunk, "VP8X", 4) == 0) {
    const uint32_t width = 1 + (data[4] | (data[5] << 8) | (data[6] << 16));
    const uint32_t height = 1 + (data[7] | (data[8] << 8) | (data[9] << 16));
    return checked(width, height, "WebP", name);
  }
  if (std::memcmp(chunk, "VP8L", 4) == 0) {
    if (data[0] != 0x2F) bad("corrupt WebP (lossless) header", name);
    const uint32_t bits = little32(data + 1);
    return checked((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, "WebP", name);
  }
  if (std::memcmp(chunk, "VP8 ", 4) == 0) {
    if (data[3] != 0x9D || data[4] != 0x01 || data[5] != 0x2A) {
      bad("corrupt WebP (lossy) header: no key frame", name);
    }
    return checked(little16(data + 6) & 0x3FFF, little16(data + 8) & 0x3FFF, "WebP", name);
  }
  bad("corrupt WebP header: unknown first chunk", name);
}

ImageSize bmp_size(Bytes p, size_t n, const std::string& name) {
  if (n < 26) bad("truncated BMP header", name);
  const uint32_t header = little32(p + 14);
  if (header == 12) return checked(little16(p + 18), little16(p + 20), "BMP", name);
  if (header < 16) bad("corrupt BMP header", name);
  const int64_t width = static_cast<int32_t>(little32(p + 18));
  const int64_t height = static_cast<int32_t>(little32(p + 22));  // negative: top-down rows
  if (width <= 0) bad("invalid BMP header: width " + std::to_string(width), name);
  return checked(static_cast<uint64_t>(width), static_cast<uint64_t>(height < 0 ? -height : height),
                 "BMP", name);
}

/// TIFF and BigTIFF: ImageWidth and ImageLength of the first directory (the page that is
/// decoded); tiles count as well, since the decoder allocates one.
ImageSize tiff_size(Bytes p, size_t n, const std::string& name) {
  const bool little = p[0] == 'I';
  const bool big_tiff = (little ? little16(p + 2) : big16(p + 2)) == 43;
  auto u16 = [&](size_t at) -> uint64_t { return little ? little16(p + at) : big16(p + at); };
  auto u32 = [&](size_t at) -> uint64_t { return little ? little32(p + at) : big32(p + at); };
  auto u64 = [&](size_t at) -> uint64_t {
    return little ? (u32(at + 4) << 32) | u32(at) : (u32(at) << 32) | u32(at + 4);
  };
  const size_t entry_size = big_tiff ? 20 : 12;
  if (n < (big_tiff ? 16u : 8u)) bad("truncated TIFF header", name);
  const uint64_t directory = big_tiff ? u64(8) : u32(4);
  const size_t count_size = big_tiff ? 8 : 2;
  if (directory > n || n - directory < count_size) bad("truncated TIFF directory", name);
  const uint64_t entries = big_tiff ? u64(directory) : u16(directory);
  uint64_t width = 0, height = 0, tile_width = 0, tile_height = 0;
  for (uint64_t k = 0; k < entries; ++k) {
    const uint64_t at = directory + count_size + k * entry_size;
    if (at > n || n - at < entry_size) bad("truncated TIFF directory", name);
    const uint64_t tag = u16(at), type = u16(at + 2);
    const size_t value = at + (big_tiff ? 12 : 8);
    uint64_t number = 0;
    if (type == 3) {
      number = u16(value);  // SHORT
    } else if (type == 4) {
      number = u32(value);  // LONG
    } else if (type == 16 && big_tiff) {
      number = u64(value);  // LONG8
    } else {
      continue;
    }
    if (tag == 256) width = number;
    if (tag == 257) height = number;
    if (tag == 322) tile_width = number;
    if (tag == 323) tile_height = number;
  }
  const ImageSize size = checked(width, height, "TIFF", name);
  if (tile_width * tile_height > 4 * width * height + (uint64_t{1} << 20)) {
    bad("TIFF tiles of " + std::to_string(tile_width) + " x " + std::to_string(tile_height) +
            " are far larger than the image",
        name);
  }
  return size;
}

/// PBM, PGM, PPM (P1 to P6): width and height are the first two numbers after the magic.
ImageSize pnm_size(Bytes p, size_t n, const std::string& name) {
  size_t i = 2;
  uint64_t numbers[2] = {0, 0};
  for (uint64_t& number : numbers) {
    for (;;) {
      while (i < n && std::strchr(" \t\r\n\v\f", p[i]) != nullptr && p[i] != 0) ++i;
      if (i < n && p[i] == '#') {
        while (i < n && p[i] != '\n' && p[i] != '\r') ++i;
        continue;
      }
      break;
    }
    size_t digits = 0;
    while (i < n && p[i] >= '0' && p[i] <= '9' && digits < 11) {
      number = number * 10 + (p[i++] - '0');
      ++digits;
    }
    if (digits == 0 || digits > 10) bad("corrupt PNM header", name);
  }
  return checked(numbers[0], numbers[1], "PNM", name);
}

}  // namespace

ImageSize parse_image_size(std::string_view bytes, const std::string& name) {
  const auto* p = reinterpret_cast<Bytes>(bytes.data());
  const size_t n = bytes.size();
  static const unsigned char kPng[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (n >= 8 && std::memcmp(p, kPng, 8) == 0) return png_size(p, n, name);
  if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return jpeg_size(p, n, name);
  if (n >= 12 && std::memcmp(p, "RIFF", 4) == 0 && std::memcmp(p + 8, "WEBP", 4) == 0) {
    return webp_size(p, n, name);
  }
  if (n >= 2 && p[0] == 'B' && p[1] == 'M') return bmp_size(p, n, name);
  if (n >= 4 && (std::memcmp(p, "II*\0", 4) == 0 || std::memcmp(p, "MM\0*", 4) == 0 ||
                 std::memcmp(p, "II+\0", 4) == 0 || std::memcmp(p, "MM\0+", 4) == 0)) {
    return tiff_size(p, n, name);
  }
  if (n >= 3 && p[0] == 'P' && p[1] >= '1' && p[1] <= '6') return pnm_size(p, n, name);
  throw_input_error("cannot decode: not a JPEG, PNG, WebP, BMP, TIFF or PNM image", {name, 0, ""},
                    "photos must be JPEG, PNG, WebP, BMP, TIFF or PNM files");
}

bool image_looks_truncated(std::string_view bytes) {
  // Writers may pad after the end marker; a few trailing zero bytes are tolerated.
  size_t end = bytes.size();
  while (end > 0 && bytes.size() - end < 64 && bytes[end - 1] == '\0') --end;
  const std::string_view body = bytes.substr(0, end);
  if (body.size() >= 3 && static_cast<unsigned char>(body[0]) == 0xFF &&
      static_cast<unsigned char>(body[1]) == 0xD8) {
    return body.size() < 4 || body.substr(body.size() - 2) != "\xFF\xD9";
  }
  if (body.size() >= 8 && body.substr(0, 4) == "\x89PNG") {
    return body.size() < 12 ||
           body.substr(body.size() - 12, 8) != std::string_view("\0\0\0\0IEND", 8);
  }
  return false;
}

void check_pixel_limit(ImageSize size, int64_t max_pixels, const Location& where) {
  const int64_t pixels = int64_t{size.width} * size.height;
  if (pixels > max_pixels) {
    throw_input_error("the image is " + std::to_string(size.width) + "x" +
                          std::to_string(size.height) + " = " + std::to_string(pixels) +
                          " pixels, more than the limit of " + std::to_string(max_pixels),
                      where, "raise the limit with --max-pixels if this is intended");
  }
}

}  // namespace fashionseg
