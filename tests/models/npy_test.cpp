// .npy files: numpy reads what write_npy writes, and read_npy reads what numpy.save writes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fashionseg/core/error.h"
#include "fashionseg/core/files.h"
#include "fashionseg/torch/npy.h"
#include "support/python_script.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

using ::testing::HasSubstr;

TEST(Npy, NumpyReadsEveryWrittenDtypeAndShape) {
  test::TempDir dir;
  // A transposed (non-contiguous) view must still be written in C order.
  write_npy(dir / "f32.npy", torch::arange(12, torch::kFloat32).reshape({3, 4}).t() / 4);
  write_npy(dir / "i64.npy",
            torch::tensor({int64_t{-3}, int64_t{0}, int64_t{1} << 40}, torch::kInt64));
  write_npy(dir / "u8.npy",
            torch::arange(250, 256, torch::kInt64).to(torch::kUInt8).reshape({1, 2, 3}));
  write_npy(dir / "scalar.npy", torch::tensor(2.5f));
  write_npy(dir / "empty.npy", torch::zeros({0, 3}, torch::kFloat32));
  const auto result = test::run_python_script(dir, R"(
import numpy as np
for name in ['f32', 'i64', 'u8', 'scalar', 'empty']:
    a = np.load(name + '.npy')
    print(name, a.dtype, a.shape, a.flags['C_CONTIGUOUS'], a.ravel().tolist())
)");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output,
              HasSubstr("f32 float32 (4, 3) True [0.0, 1.0, 2.0, 0.25, 1.25, 2.25, 0.5, 1.5, "
                        "2.5, 0.75, 1.75, 2.75]"));
  EXPECT_THAT(result.output, HasSubstr("i64 int64 (3,) True [-3, 0, 1099511627776]"));
  EXPECT_THAT(result.output, HasSubstr("u8 uint8 (1, 2, 3) True [250, 251, 252, 253, 254, 255]"));
  EXPECT_THAT(result.output, HasSubstr("scalar float32 () True [2.5]"));
  EXPECT_THAT(result.output, HasSubstr("empty float32 (0, 3) True []"));
}

TEST(Npy, ReadsWhatNumpySaves) {
  test::TempDir dir;
  const auto result = test::run_python_script(dir, R"(
import numpy as np
np.save('a.npy', np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 5)
np.save('b.npy', np.array([[1, 2]], dtype=np.int64))
np.save('f64.npy', np.zeros(3))
)");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(torch::equal(read_npy(dir / "a.npy"),
                           torch::arange(24, torch::kFloat32).reshape({2, 3, 4}) - 5));
  EXPECT_TRUE(torch::equal(read_npy(dir / "b.npy"), torch::tensor({{1, 2}}, torch::kInt64)));
  try {
    read_npy(dir / "f64.npy");
    FAIL() << "float64 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput);
    EXPECT_THAT(std::string(e.what()), HasSubstr("f64.npy"));
    EXPECT_THAT(std::string(e.what()), HasSubstr("<f8"));
  }
}

TEST(Npy, RoundTripAndHeaderAlignment) {
  const torch::Tensor labels = torch::randint(0, 47, {2, 5, 7}, torch::kInt64);
  const std::string bytes = encode_npy(labels);
  const size_t header_end =
      10 + (static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8));
  EXPECT_EQ(header_end % 64, 0u);
  EXPECT_EQ(bytes[header_end - 1], '\n');
  EXPECT_TRUE(torch::equal(decode_npy(bytes, "x.npy"), labels));
}

TEST(Npy, BrokenFilesAndUnsupportedDtypesAreErrors) {
  const std::string bytes = encode_npy(torch::ones({4, 4}));
  for (size_t cut : {size_t{0}, size_t{5}, size_t{9}, size_t{40}, bytes.size() - 1}) {
    try {
      decode_npy(bytes.substr(0, cut), "cut.npy");
      FAIL() << "cut at " << cut << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInput);
      EXPECT_THAT(std::string(e.what()), HasSubstr("cut.npy"));
    }
  }
  try {
    encode_npy(torch::ones({2}, torch::kFloat64));
    FAIL() << "float64 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConfig);
  }
}

}  // namespace
}  // namespace fashionseg
