#include "models/torch_archive.h"

#include <zlib.h>

#include <cstdint>

namespace fashionseg::detail {
namespace {

uint32_t read_u16(const std::string& bytes, size_t at) {
  return static_cast<uint32_t>(static_cast<unsigned char>(bytes[at])) |
         (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 8);
}

uint32_t read_u32(const std::string& bytes, size_t at) {
  return read_u16(bytes, at) | (read_u16(bytes, at + 2) << 16);
}

constexpr size_t kEndRecordSize = 22;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kLocalHeaderSize = 30;
constexpr uint32_t kZip64Marker = 0xFFFFFFFFu;

}  // namespace

bool starts_like_zip(const std::string& bytes) {
  return bytes.size() >= 4 && bytes.compare(0, 4, "PK\x03\x04") == 0;
}

void check_torch_archive(const std::string& bytes, const Location& where) {
  if (bytes.size() < kEndRecordSize) throw_input_error("truncated PyTorch archive", where);
  const size_t end = bytes.size() - kEndRecordSize;
  if (bytes.compare(end, 4, "PK\x05\x06") != 0 || read_u16(bytes, end + 20) != 0) {
    throw_input_error("truncated or damaged PyTorch archive (no end-of-archive record)", where);
  }
  const uint32_t entries = read_u16(bytes, end + 10);
  const uint32_t directory_size = read_u32(bytes, end + 12);
  const uint32_t directory_offset = read_u32(bytes, end + 16);
  if (entries == 0xFFFF || directory_size == kZip64Marker || directory_offset == kZip64Marker) {
    return;  // zip64: left to the zip reader
  }
  if (static_cast<uint64_t>(directory_offset) + directory_size > end) {
    throw_input_error("damaged PyTorch archive (central directory out of range)", where);
  }
  size_t at = directory_offset;
  for (uint32_t entry = 0; entry < entries; ++entry) {
    if (at + kCentralHeaderSize > end || bytes.compare(at, 4, "PK\x01\x02") != 0) {
      throw_input_error("damaged PyTorch archive (bad central directory entry)", where);
    }
    const uint32_t method = read_u16(bytes, at + 10);
    const uint32_t crc = read_u32(bytes, at + 16);
    const uint32_t stored_size = read_u32(bytes, at + 20);
    const size_t name_length = read_u16(bytes, at + 28);
    const size_t extra_length = read_u16(bytes, at + 30);
    const size_t comment_length = read_u16(bytes, at + 32);
    const uint32_t local_offset = read_u32(bytes, at + 42);
    const std::string name = bytes.substr(at + kCentralHeaderSize, name_length);
    at += kCentralHeaderSize + name_length + extra_length + comment_length;
    if (stored_size == kZip64Marker || local_offset == kZip64Marker) continue;
    if (method != 0) continue;  // compressed entries (not written by PyTorch): zip reader's job
    if (static_cast<uint64_t>(local_offset) + kLocalHeaderSize > end ||
        bytes.compare(local_offset, 4, "PK\x03\x04") != 0) {
      throw_input_error("damaged PyTorch archive (bad header of entry '" + name + "')", where);
    }
    const size_t data = local_offset + kLocalHeaderSize + read_u16(bytes, local_offset + 26) +
                        read_u16(bytes, local_offset + 28);
    if (data + stored_size > end) {
      throw_input_error("damaged PyTorch archive (entry '" + name + "' out of range)", where);
    }
    // zlib's CRC-32 (the zip checksum).
    const auto* begin = reinterpret_cast<const Bytef*>(bytes.data() + data);
    if (crc32_z(0L, begin, stored_size) != crc) {
      throw_input_error("damaged PyTorch archive (CRC-32 mismatch in entry '" + name + "')", where);
    }
  }
}

}  // namespace fashionseg::detail
