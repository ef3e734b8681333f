// Fuzzing the readers of outside input with the bounded mutation driver (support/mutate.h):
// RLE and CSV records, whole iMaterialist CSVs and label descriptions, COCO JSON, compressed
// COCO counts and image headers/decoding. Each mutated input must be read or refused with a
// fashionseg::Error; a crash, another exception or a huge allocation fails.
// Longer runs: FASHIONSEG_FUZZ_ITERATIONS=100000 build/tests/test_unit --gtest_filter='Fuzz*'
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "fashionseg/core/files.h"
#include "fashionseg/data/coco.h"
#include "fashionseg/data/coco_mask.h"
#include "fashionseg/data/compose.h"
#include "fashionseg/data/csv.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/data/imaterialist.h"
#include "fashionseg/data/rle.h"
#include "support/mutate.h"

namespace fashionseg {
namespace {

namespace fs = std::filesystem;
using test::fuzz;
using test::fuzz_iterations;

fs::path fixture(const std::string& path) {
  return test::source_dir() / "tests" / "fixtures" / path;
}

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(Fuzz, KaggleRleCsvRecordsAndCocoCounts) {
  const Location where{"fuzz", 1, ""};
  fuzz("rle", {"1 4 10 3 20 1", "2 3", " 5 5  12 2 "}, fuzz_iterations(2000),
       [&](const std::string& text) {
         parse_kaggle_rle(text, 6, 4, where);
         std::vector<uint8_t> mask(24, 0);
         decode_kaggle_rle_into(text, 6, 4, 1, mask.data(), where);
       });
  fuzz("csv", {"a,\"b,c\",,\"d\"\"e\"", "p1.jpg,1 4,6,4,31_1_2"}, fuzz_iterations(2000),
       [&](const std::string& record) { parse_csv_record(record, where); });
  fuzz("coco_counts", {"0h0", "52203", "Xo0Pf0"}, fuzz_iterations(2000),
       [&](const std::string& text) {
         const auto counts = coco_counts_from_string(text, where);
         runs_from_coco_counts(counts, 6, 4, where);
       });
}

TEST(Fuzz, ImaterialistCsvAndLabelDescriptions) {
  test::TempDir dir;
  ImaterialistPaths paths = ImaterialistPaths::in_folder(fixture("imat2019"));
  paths.csv = dir / "train.csv";
  paths.label_descriptions = dir / "labels.json";
  const std::string csv = read_file(fixture("imat2019") / "train.csv");
  const std::string labels = read_file(fixture("imat2019") / "label_descriptions.json");
  auto load_all = [&] {
    const auto source = open_imaterialist(paths);
    const LabelSpace space = make_all_label_space(source->taxonomy());
    for (size_t i = 0; i < source->photo_count(); ++i) compose_mask(source->load(i), space);
  };
  write(paths.label_descriptions, labels);
  fuzz("imaterialist_csv", {csv}, fuzz_iterations(300), [&](const std::string& text) {
    write(paths.csv, text);
    load_all();
  });
  write(paths.csv, csv);
  fuzz("label_descriptions", {labels}, fuzz_iterations(300), [&](const std::string& text) {
    write(paths.label_descriptions, text);
    load_all();
  });
}

TEST(Fuzz, CocoJson) {
  test::TempDir dir;
  const std::string json = read_file(fixture("coco") / "coco.json");
  fuzz("coco", {json}, fuzz_iterations(400), [&](const std::string& text) {
    write(dir / "coco.json", text);
    const auto source = open_coco(dir / "coco.json", fixture("coco") / "images");
    const LabelSpace space = make_all_label_space(source->taxonomy());
    for (size_t i = 0; i < source->photo_count(); ++i) compose_mask(source->load(i), space);
  });
}

TEST(Fuzz, ImageHeadersAndDecoding) {
  cv::Mat bgr(23, 37, CV_8UC3, cv::Scalar(20, 120, 220));
  bgr(cv::Rect(5, 5, 10, 10)).setTo(cv::Scalar(200, 10, 60));
  std::vector<std::string> seeds;
  for (const char* extension : {".jpg", ".png", ".webp", ".bmp", ".tiff", ".ppm"}) {
    std::vector<unsigned char> bytes;
    ASSERT_TRUE(cv::imencode(extension, bgr, bytes));
    seeds.emplace_back(bytes.begin(), bytes.end());
  }
  // A limit of a megapixel: a mutated header may claim anything, nothing big is allocated.
  fuzz("image", seeds, fuzz_iterations(600), [&](const std::string& bytes) {
    parse_image_size(bytes, "fuzz");
    const cv::Mat rgb = decode_image_rgb(bytes, "fuzz", 1 << 20);
    if (rgb.total() > (1u << 20)) throw std::runtime_error("decoded past the pixel limit");
  });
}

}  // namespace
}  // namespace fashionseg
