// `prepare` on the real ccp-imat data (../shared/data) reproduces its reference masks/ pixel
// for pixel: the Kaggle RLE decoder, column-major order and 1-based starts on real rows.
#include <gtest/gtest.h>

#include <filesystem>

#include "fashionseg/data/image_io.h"
#include "fashionseg/data/imaterialist.h"
#include "fashionseg/data/prepare.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

namespace fs = std::filesystem;

TEST(CcpImat, PrepareReproducesTheReferenceMasks) {
  const auto dir = test::shared_dataset("ccp-imat");
  if (!dir) GTEST_SKIP() << "../shared/data/ccp-imat is not present";
  const auto source = open_imaterialist(ImaterialistPaths::in_folder(*dir));
  test::TempDir out;
  PrepareOptions options;
  options.output_dir = out.path();
  NullProgress progress;
  const auto summary =
      prepare_dataset(*source, make_all_label_space(source->taxonomy()), options, progress);
  size_t compared = 0;
  for (const auto& entry : fs::directory_iterator(*dir / "masks")) {
    const cv::Mat expected = read_label_mask(entry.path());
    const fs::path ours = out.path() / "masks" / entry.path().filename();
    ASSERT_TRUE(fs::is_regular_file(ours)) << ours;
    const cv::Mat actual = read_label_mask(ours);
    ASSERT_EQ(actual.size(), expected.size()) << entry.path();
    EXPECT_EQ(cv::countNonZero(actual != expected), 0) << entry.path();
    ++compared;
  }
  EXPECT_EQ(compared, 692u);
  EXPECT_EQ(summary.photos, 692u);
}

}  // namespace
}  // namespace fashionseg
