// NumPy .npy format 1.0: magic, version, little-endian header length, a Python dict literal
// padded so the data starts on a 64-byte boundary, then the raw C-ordered array.
#include "fashionseg/torch/npy.h"

#include <torch/torch.h>

#include <cstdint>
#include <cstring>
#include <regex>
#include <sstream>

#include "fashionseg/core/error.h"
#include "fashionseg/core/files.h"

namespace fashionseg {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

struct DtypeCode {
  torch::ScalarType type;
  const char* descr;
};
constexpr DtypeCode kDtypes[] = {
    {torch::kFloat32, "<f4"},
    {torch::kInt64, "<i8"},
    {torch::kUInt8, "|u1"},
};

bool little_endian_host() {
  const uint16_t probe = 1;
  unsigned char first;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

}  // namespace

std::string encode_npy(const torch::Tensor& tensor) {
  const char* descr = nullptr;
  for (const auto& code : kDtypes) {
    if (tensor.scalar_type() == code.type) descr = code.descr;
  }
  if (!descr) {
    throw_config_error(
        std::string("cannot write dtype ") + c10::toString(tensor.scalar_type()) + " as .npy",
        "convert to float32, int64 or uint8 first");
  }
  if (!little_endian_host()) {
    throw Error(ErrorKind::kInternal, "encode_npy supports little-endian hosts only");
  }
  const torch::Tensor data = tensor.detach().to(torch::kCPU).contiguous();
  std::ostringstream shape;
  shape << "(";
  for (int64_t d = 0; d < data.dim(); ++d) shape << (d ? ", " : "") << data.size(d);
  if (data.dim() == 1) shape << ",";  // Python's one-element tuple
  shape << ")";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + shape.str() + ", }";
  // Pad with spaces so magic + version + length + header (ending in '\n') is a multiple of 64.
  const size_t preamble = kMagicSize + 2 + 2;
  const size_t total = ((preamble + header.size() + 1 + 63) / 64) * 64;
  header.append(total - preamble - header.size() - 1, ' ');
  header.push_back('\n');

  std::string bytes(kMagic, kMagicSize);
  bytes.push_back('\x01');
  bytes.push_back('\x00');
  bytes.push_back(static_cast<char>(header.size() & 0xff));
  bytes.push_back(static_cast<char>((header.size() >> 8) & 0xff));
  bytes += header;
  bytes.append(static_cast<const char*>(data.data_ptr()), data.nbytes());
  return bytes;
}

void write_npy(const std::filesystem::path& path, const torch::Tensor& tensor) {
  write_file_atomic(path, encode_npy(tensor));
}

torch::Tensor decode_npy(const std::string& bytes, const std::string& source) {
  const Location where{source, 0, {}};
  if (bytes.size() < kMagicSize + 4 || bytes.compare(0, kMagicSize, kMagic, kMagicSize) != 0) {
    throw_input_error("not a .npy file (bad magic)", where);
  }
  const auto byte = [&](size_t i) {
    return static_cast<uint32_t>(static_cast<unsigned char>(bytes[i]));
  };
  const uint32_t major = byte(kMagicSize);
  size_t header_length = 0;
  size_t header_start = 0;
  if (major == 1) {
    header_length = byte(8) | (byte(9) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw_input_error(".npy header is truncated", where);
    header_length = byte(8) | (byte(9) << 8) | (byte(10) << 16) | (byte(11) << 24);
    header_start = 12;
  } else {
    throw_input_error(".npy format version " + std::to_string(major) + " is not supported", where);
  }
  if (bytes.size() < header_start + header_length)
    throw_input_error(".npy header is truncated", where);
  const std::string header = bytes.substr(header_start, header_length);

  static const std::regex descr_re(R"('descr'\s*:\s*'([^']*)')");
  static const std::regex order_re(R"('fortran_order'\s*:\s*(True|False))");
  static const std::regex shape_re(R"('shape'\s*:\s*\(([^)]*)\))");
  std::smatch descr_match, order_match, shape_match;
  if (!std::regex_search(header, descr_match, descr_re) ||
      !std::regex_search(header, order_match, order_re) ||
      !std::regex_search(header, shape_match, shape_re)) {
    throw_input_error("malformed .npy header: " + header, where);
  }
  if (order_match[1] == "True") throw_input_error("Fortran-ordered .npy is not supported", where);
  const std::string descr = descr_match[1];
  torch::ScalarType type = torch::kFloat32;
  bool known = false;
  for (const auto& code : kDtypes) {
    if (descr == code.descr || (code.type == torch::kUInt8 && descr == "<u1")) {
      type = code.type;
      known = true;
    }
  }
  if (!known)
    throw_input_error(".npy dtype '" + descr + "' is not supported (use <f4, <i8, |u1)", where);

  std::vector<int64_t> shape;
  std::stringstream dims(shape_match[1].str());
  std::string dim;
  while (std::getline(dims, dim, ',')) {
    const auto first = dim.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    try {
      shape.push_back(std::stoll(dim.substr(first)));
    } catch (const std::exception&) {
      throw_input_error("malformed .npy shape: (" + shape_match[1].str() + ")", where);
    }
    if (shape.back() < 0) throw_input_error("negative .npy dimension", where);
  }
  torch::Tensor out = torch::empty(shape, torch::TensorOptions().dtype(type));
  const size_t data_start = header_start + header_length;
  if (bytes.size() - data_start != out.nbytes()) {
    throw_input_error(".npy data has " + std::to_string(bytes.size() - data_start) +
                          " bytes, the header announces " + std::to_string(out.nbytes()),
                      where);
  }
  std::memcpy(out.data_ptr(), bytes.data() + data_start, out.nbytes());
  return out;
}

torch::Tensor read_npy(const std::filesystem::path& path) {
  return decode_npy(read_file(path), path.string());
}

}  // namespace fashionseg
