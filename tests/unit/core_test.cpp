// Core helpers: error formatting and exit codes, atomic writes, parallel loops.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "fashionseg/core/error.h"
#include "fashionseg/core/files.h"
#include "fashionseg/core/parallel.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

TEST(Error, MessageNamesFileLineAndItem) {
  const Error error(ErrorKind::kInput, "run past the image", {"train.csv", 17, "ImageId a.jpg"},
                    "check Height and Width");
  EXPECT_STREQ(error.what(),
               "train.csv:17: ImageId a.jpg: run past the image (check Height and Width)");
  EXPECT_EQ(error.message(), "run past the image");
  EXPECT_EQ(error.exit_code(), 3);
  EXPECT_EQ(error.http_status(), 400);
}

TEST(Error, EmptyLocationPartsAreLeftOut) {
  EXPECT_STREQ(Error(ErrorKind::kConfig, "bad").what(), "bad");
  EXPECT_EQ(format_location({"", 5, ""}), "line 5");
  EXPECT_EQ(format_location({"", 0, "annotation 3"}), "annotation 3");
  EXPECT_EQ(Error(ErrorKind::kNotFound, "x").http_status(), 404);
  EXPECT_NE(Error(ErrorKind::kInternal, "x").exit_code(), 0);
}

TEST(Files, AtomicWriteCreatesParentsAndLeavesNoTemp) {
  test::TempDir dir;
  const auto path = dir / "a/b/out.txt";
  write_file_atomic(path, std::string_view("hello"));
  EXPECT_EQ(read_file(path), "hello");
  write_file_atomic(path, std::string_view("replaced"));
  EXPECT_EQ(read_file(path), "replaced");
  size_t entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path.parent_path())) {
    EXPECT_FALSE(is_atomic_temp_name(entry.path().filename().string()));
    ++entries;
  }
  EXPECT_EQ(entries, 1u);
}

TEST(Files, RemoveAtomicTempsRemovesOnlyTemps) {
  test::TempDir dir;
  std::ofstream(dir / ".mask.png.fstmp-123-0") << "partial";
  std::ofstream(dir / "mask.png") << "done";
  EXPECT_EQ(remove_atomic_temps(dir.path()), 1u);
  EXPECT_TRUE(std::filesystem::exists(dir / "mask.png"));
}

TEST(Files, ReadMissingFileIsNotFound) {
  try {
    read_file("/nonexistent/file.txt");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/file.txt"), std::string::npos);
  }
}

TEST(Files, WriteIntoUnwritablePlaceThrowsIoError) {
  test::TempDir dir;
  std::ofstream(dir / "file") << "x";
  // A path whose parent is a regular file cannot be created.
  EXPECT_THROW(write_file_atomic(dir / "file/child.txt", std::string_view("x")), Error);
}

TEST(Parallel, VisitsEveryIndexOnce) {
  std::vector<std::atomic<int>> visits(1000);
  parallel_for(visits.size(), 4, [&](size_t i) { visits[i]++; });
  for (auto& v : visits) EXPECT_EQ(v.load(), 1);
}

TEST(Parallel, RethrowsFirstErrorAndStops) {
  std::atomic<int> done{0};
  EXPECT_THROW(parallel_for(100000, 2,
                            [&](size_t i) {
                              if (i == 10) throw_input_error("boom");
                              done++;
                            }),
               Error);
  EXPECT_LT(done.load(), 100000 - 1);
}

TEST(Parallel, ResolvesThreadCount) {
  EXPECT_EQ(resolve_thread_count(3), 3);
  EXPECT_GE(resolve_thread_count(0), 1);
}

}  // namespace
}  // namespace fashionseg
