// The library example (examples/segment_photos.cpp) segments photos from several threads on
// one Segmenter: every mask equals the one `fashionseg predict` writes for the same photo, so
// concurrent callers get exactly the single-caller result.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/lraspp_fixture.h"
#include "support/python_script.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

using ::testing::HasSubstr;

const char* const kCompare = R"(
import sys, cv2, numpy as np
pairs = sys.argv[1:]
for mine, reference in zip(pairs[0::2], pairs[1::2]):
    a = cv2.imread(mine, cv2.IMREAD_UNCHANGED); b = cv2.imread(reference, cv2.IMREAD_UNCHANGED)
    assert a is not None and b is not None and a.shape == b.shape, (mine, reference)
    assert np.array_equal(a, b), '%s differs from %s in %d pixels' % (mine, reference, int((a != b).sum()))
print('SAME', len(pairs) // 2)
)";

TEST(LibraryExample, ConcurrentCallersGetPredictsMasks) {
  test::TempDir dir;
  const auto made = test::run_python_script(dir, test::kMakeLrasppInputs);
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const auto imported = test::run_fashionseg(test::import_lraspp_arguments(dir));
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  auto at = [&](const std::string& name) { return test::shell_quote((dir / name).string()); };
  std::string photos, pairs;
  for (int copy = 0; copy < 4; ++copy) {
    for (const char* name : {"a", "b"}) {
      const std::string file = "copies/" + std::string(name) + std::to_string(copy) + ".png";
      std::filesystem::create_directories(dir / "copies");
      std::filesystem::copy_file(dir / "photos" / (std::string(name) + ".png"), dir / file);
      photos += " " + at(file);
      pairs +=
          " " + at(file + ".labels.png") + " " + at("predicted/" + std::string(name) + "_mask.png");
    }
  }
  const auto example = test::run_command(test::shell_quote(FASHIONSEG_EXAMPLE_BINARY) + " " +
                                         at("model.fsm") + photos);
  ASSERT_EQ(example.exit_code, 0) << example.output;
  EXPECT_THAT(example.output, HasSubstr("a3.png: "));
  const auto predicted = test::run_fashionseg("predict -m " + at("model.fsm") + " " + at("photos") +
                                              "/[ab].png --mask -o " + at("predicted"));
  ASSERT_EQ(predicted.exit_code, 0) << predicted.output;
  const auto compared = test::run_python_script(dir, kCompare, pairs, "compare.py");
  ASSERT_EQ(compared.exit_code, 0) << compared.output;
  EXPECT_THAT(compared.output, HasSubstr("SAME 8"));

  const auto missing = test::run_command(test::shell_quote(FASHIONSEG_EXAMPLE_BINARY) + " " +
                                         at("model.fsm") + " " + at("nothing.jpg"));
  EXPECT_EQ(missing.exit_code, 0) << missing.output;
  EXPECT_THAT(missing.output, HasSubstr("nothing.jpg: error: cannot read the photo"));
}

}  // namespace
}  // namespace fashionseg
