// The readers on small fixtures (tests/fixtures): iMaterialist 2019 and 2020, COCO JSON,
// image + mask folders; overlaps, attributes, and each bad input named by file, line, ImageId.
#include <gtest/gtest.h>

#include <fstream>

#include "data_test_support.h"
#include "fashionseg/data/coco.h"
#include "fashionseg/data/compose.h"
#include "fashionseg/data/csv.h"
#include "fashionseg/data/imaterialist.h"
#include "fashionseg/data/mask_folder.h"

namespace fashionseg {
namespace {

namespace fs = std::filesystem;
using test::expect_error;
using test::fixture;
using test::mask_of;
using test::same_mask;

// The photo p1 of every fixture: sleeve (31), shirt (0, attributes 61 41), pants (6, 33),
// in that file order. Smallest-on-top keeps the sleeve and the pants' top row visible.
cv::Mat expected_p1_smallest_on_top() {
  return mask_of(
      {{1, 1, 1, 1}, {32, 1, 1, 1}, {32, 1, 1, 1}, {32, 7, 7, 1}, {0, 7, 7, 0}, {0, 7, 7, 0}});
}

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

TEST(Csv, ParsesQuotedFields) {
  const Location where{"x.csv", 3, ""};
  EXPECT_EQ(parse_csv_record("a,\"b,c\",,\"d\"\"e\"", where),
            (std::vector<std::string>{"a", "b,c", "", "d\"e"}));
  EXPECT_EQ(parse_csv_record("a,b,\r", where), (std::vector<std::string>{"a", "b", ""}));
  expect_error([&] { parse_csv_record("a,\"b", where); }, {"x.csv:3", "unterminated"});
  expect_error([&] { parse_csv_record("a,\"b\"c", where); },
               {"x.csv:3", "after the closing quote"});
}

TEST(Csv, ScanFindsRecordOffsetsLinesAndFirstFields) {
  test::TempDir dir;
  // A quoted field spanning two lines, CRLF ends, a blank line, no final newline.
  write_text(dir / "x.csv", "id,text\r\n\"a,1\",\"two\nlines\"\r\n\r\nb,plain");
  std::vector<CsvRecordRef> refs;
  std::vector<std::string> ids;
  scan_csv_records(dir / "x.csv", [&](const CsvRecordRef& ref, std::string_view first) {
    refs.push_back(ref);
    ids.emplace_back(first);
  });
  ASSERT_EQ(refs.size(), 3u);
  EXPECT_EQ(ids, (std::vector<std::string>{"id", "a,1", "b"}));
  EXPECT_EQ(refs[1].line, 2u);
  EXPECT_EQ(refs[2].line, 5u);
  EXPECT_EQ(read_csv_record(dir / "x.csv", refs[1]), "\"a,1\",\"two\nlines\"");
  EXPECT_EQ(read_csv_record(dir / "x.csv", refs[2]), "b,plain");
}

TEST(Imaterialist2019, ReadsRowsPerPhotoWithAttributes) {
  const auto source = open_imaterialist(ImaterialistPaths::in_folder(fixture("imat2019")));
  EXPECT_EQ(imaterialist_edition(*source), ImaterialistEdition::k2019);
  ASSERT_EQ(source->photo_count(), 2u);
  EXPECT_EQ(source->image_id(0), "p1.jpg");
  EXPECT_EQ(source->taxonomy().categories.size(), 46u);
  const PhotoAnnotations p1 = source->load(0);
  EXPECT_EQ(p1.width, 4);
  EXPECT_EQ(p1.height, 6);
  ASSERT_EQ(p1.instances.size(), 3u);
  EXPECT_EQ(p1.instances[0].category_id, 31);
  EXPECT_EQ(p1.instances[0].where.line, 2u);
  EXPECT_EQ(p1.instances[1].category_id, 0);
  EXPECT_EQ(p1.instances[1].attribute_ids, (std::vector<int>{61, 41}));
  EXPECT_EQ(p1.instances[1].where.line, 4u);
  EXPECT_EQ(p1.instances[2].attribute_ids, (std::vector<int>{33}));
  EXPECT_EQ(p1.instances[2].area(), 6u);
  const auto labels = make_all_label_space(source->taxonomy());
  EXPECT_TRUE(same_mask(compose_mask(p1, labels), expected_p1_smallest_on_top()));
  const PhotoAnnotations p2 = source->load(1);
  ASSERT_EQ(p2.instances.size(), 1u);
  EXPECT_EQ(p2.instances[0].attribute_ids, (std::vector<int>{77}));
  EXPECT_EQ(p2.instances[0].area(), 24u);
}

TEST(Imaterialist2020, ReadsAttributesColumnAndCrLf) {
  const auto source = open_imaterialist(ImaterialistPaths::in_folder(fixture("imat2020")));
  EXPECT_EQ(imaterialist_edition(*source), ImaterialistEdition::k2020);
  ASSERT_EQ(source->photo_count(), 1u);
  const PhotoAnnotations p1 = source->load(0);
  EXPECT_EQ(p1.image_path.filename(), "p1.jpg");  // ImageId without extension
  ASSERT_EQ(p1.instances.size(), 3u);
  EXPECT_TRUE(p1.instances[0].attribute_ids.empty());
  EXPECT_EQ(p1.instances[1].attribute_ids, (std::vector<int>{61, 41}));
  EXPECT_EQ(p1.instances[2].attribute_ids, (std::vector<int>{33}));
  EXPECT_TRUE(same_mask(compose_mask(p1, make_all_label_space(source->taxonomy())),
                        expected_p1_smallest_on_top()));
}

// A 2019 train.csv in a temp folder whose photos are the fixture's.
struct BrokenCsv {
  test::TempDir dir;
  ImaterialistPaths paths;
  explicit BrokenCsv(const std::string& rows,
                     const std::string& header = "ImageId,EncodedPixels,Height,Width,ClassId") {
    paths = ImaterialistPaths::in_folder(fixture("imat2019"));
    paths.csv = dir / "train.csv";
    write_text(paths.csv, header + "\n" + rows);
  }
  void load_all() const {
    ImaterialistOptions options;
    options.include_unlisted_images = false;
    const auto source = open_imaterialist(paths, options);
    for (size_t i = 0; i < source->photo_count(); ++i) source->load(i);
  }
};

TEST(Imaterialist2019, EachBadRowNamesFileLineAndImageId) {
  struct Case {
    std::string rows;
    std::string message;
    size_t line;
    ErrorKind kind = ErrorKind::kInput;
  };
  const std::vector<Case> cases = {
      {"p1.jpg,1 4,6,4,0\np1.jpg,30 2,6,4,1\n", "past the image", 3},
      {"p1.jpg,1 4 3 2,6,4,0\n", "overlaps", 2},
      {"p1.jpg,1 4 7,6,4,0\n", "odd number of fields", 2},
      {"p1.jpg,1 four,6,4,0\n", "not a non-negative integer", 2},
      {"p1.jpg,1 0,6,4,0\n", "length 0", 2},
      {"p1.jpg,1 4,6,4,99\n", "unknown category id 99", 2},
      {"p1.jpg,1 4,6,4,0_500\n", "unknown attribute id 500", 2},
      {"p1.jpg,1 4,6,4,shirt\n", "ClassId 'shirt'", 2},
      {"p1.jpg,1 4,6,4,0_x\n", "attribute 'x'", 2},
      {"p1.jpg,1 4,6,4\n", "expected 5 fields", 2},
      {"p1.jpg,1 4,six,4,0\n", "Height 'six'", 2},
      {"p1.jpg,1 4,6,4,0\np1.jpg,9 1,8,4,1\n", "differs from the photo's earlier rows", 3},
      {"p1.jpg,1 4,8,3,0\n", "disagree with the image", 2},
      {"\np1.jpg,1 4,6,4,0\nnothere.jpg,1 4,6,4,0\n", "is missing", 4, ErrorKind::kNotFound},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.rows);
    BrokenCsv csv(c.rows);
    const std::string image_id =
        c.rows.find("nothere") != std::string::npos ? "nothere.jpg" : "p1.jpg";
    expect_error([&] { csv.load_all(); },
                 {"train.csv:" + std::to_string(c.line), "ImageId " + image_id, c.message}, c.kind);
  }
}

TEST(Imaterialist2019, BadHeaderAndUnterminatedQuoteNameTheLine) {
  BrokenCsv header("p1.jpg,1 4,6,4,0\n", "ImageId,Pixels,Height,Width,ClassId");
  expect_error([&] { header.load_all(); }, {"train.csv:1", "unknown train.csv header"});
  BrokenCsv quote("p1.jpg,1 4,6,4,0\np1.jpg,\"1 4,6,4,0\n");
  expect_error([&] { quote.load_all(); }, {"train.csv:3", "never closed"});
}

TEST(Imaterialist2019, UnlistedPhotosBecomeBackgroundPhotos) {
  BrokenCsv csv("p1.jpg,1 4,6,4,0\n");
  const auto source = open_imaterialist(csv.paths);  // p2.jpg has no row
  ASSERT_EQ(source->photo_count(), 2u);
  EXPECT_EQ(source->image_id(1), "p2.jpg");
  const auto p2 = source->load(1);
  EXPECT_TRUE(p2.instances.empty());
  EXPECT_EQ(p2.width, 4);
  EXPECT_EQ(p2.height, 6);
}

TEST(Coco, ReadsPolygonsUncompressedAndCompressedRle) {
  const auto source = open_coco(fixture("coco") / "coco.json", fixture("coco") / "images");
  ASSERT_EQ(source->photo_count(), 2u);
  const PhotoAnnotations p1 = source->load(0);
  ASSERT_EQ(p1.instances.size(), 3u);
  EXPECT_EQ(p1.instances[1].attribute_ids, (std::vector<int>{61, 41}));
  EXPECT_TRUE(same_mask(compose_mask(p1, make_all_label_space(source->taxonomy())),
                        expected_p1_smallest_on_top()));
  const PhotoAnnotations p2 = source->load(1);
  ASSERT_EQ(p2.instances.size(), 1u);
  EXPECT_TRUE(p2.instances[0].crowd);
  EXPECT_EQ(p2.instances[0].attribute_ids, (std::vector<int>{77}));
  EXPECT_EQ(p2.instances[0].area(), 24u);
}

TEST(Coco, BadAnnotationsNameFileAndAnnotation) {
  test::TempDir dir;
  auto broken = [&](const std::string& annotation) {
    const auto path = dir / "bad.json";
    write_text(path, R"({"images":[{"id":1,"file_name":"p1.jpg","width":4,"height":6}],
      "categories":[{"id":0,"name":"shirt, blouse"}], "annotations":[)" +
                         annotation + "]}");
    return [=] {
      const auto source = open_coco(path, fixture("coco") / "images");
      for (size_t i = 0; i < source->photo_count(); ++i) source->load(i);
    };
  };
  expect_error(
      broken(
          R"({"id":5,"image_id":1,"category_id":0,"segmentation":{"size":[6,4],"counts":[1,2]}})"),
      {"bad.json", "annotation 5 (image p1.jpg)", "sum to 3"});
  expect_error(
      broken(
          R"({"id":5,"image_id":1,"category_id":0,"segmentation":{"size":[5,4],"counts":"0h0"}})"),
      {"bad.json", "annotation 5", "differs from the image"});
  expect_error(broken(R"({"id":5,"image_id":1,"category_id":0,"segmentation":[[0,0,1]]})"),
               {"bad.json", "annotation 5", "odd number"});
  expect_error(broken(R"({"id":5,"image_id":1,"category_id":7,"segmentation":[]})"),
               {"bad.json", "annotations[0]", "category_id 7"});
  expect_error(broken(R"({"id":5,"image_id":9,"category_id":0,"segmentation":[]})"),
               {"bad.json", "annotations[0]", "image_id 9"});
}

TEST(MaskFolders, ReadsMasksAndClassList) {
  const auto source = open_mask_folders(fixture("folders") / "images", fixture("folders") / "masks",
                                        fixture("folders") / "classes.txt");
  ASSERT_EQ(source->photo_count(), 2u);
  EXPECT_EQ(source->semantic_class_names(),
            (std::vector<std::string>{"background", "shirt", "pants", "sleeve"}));
  const auto p1 = source->load(0);
  EXPECT_EQ(p1.image_id, "p1.png");
  const cv::Mat mask = compose_mask(p1, make_identity_label_space(source->semantic_class_names()));
  EXPECT_TRUE(same_mask(
      mask,
      mask_of(
          {{1, 1, 1, 1}, {3, 1, 1, 1}, {3, 1, 1, 1}, {1, 1, 1, 1}, {0, 2, 2, 0}, {0, 2, 2, 255}})));
}

TEST(MaskFolders, MissingMaskAndBadValuesAreErrors) {
  test::TempDir dir;
  fs::create_directories(dir / "masks");
  fs::copy(fixture("folders") / "masks" / "p1.png", dir / "masks" / "p1.png");
  expect_error(
      [&] {
        open_mask_folders(fixture("folders") / "images", dir / "masks",
                          fixture("folders") / "classes.txt");
      },
      {"p2.jpg", "p2.png is missing"}, ErrorKind::kNotFound);
  write_text(dir / "two.txt", "background\nshirt\n");
  fs::copy(fixture("folders") / "masks" / "p2.png", dir / "masks" / "p2.png");
  const auto source =
      open_mask_folders(fixture("folders") / "images", dir / "masks", dir / "two.txt");
  expect_error([&] { source->load(0); }, {"p1.png", "mask value 3 has no class"});
  write_text(dir / "dup.txt", "background\nshirt\nshirt\n");
  expect_error([&] { read_class_list(dir / "dup.txt"); }, {"dup.txt:3", "duplicate"});
}

}  // namespace
}  // namespace fashionseg

namespace fashionseg {
namespace {

/// A 33-byte PNG (signature + IHDR) that claims `width` x `height` pixels and holds none.
std::string png_header_only(uint32_t width, uint32_t height) {
  std::string bytes("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
  for (uint32_t v : {width, height}) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes += char((v >> shift) & 0xFF);
  }
  return bytes + std::string("\x08\x02\0\0\0\0\0\0\0", 9);
}

TEST(PixelLimit, DeclaredSizesAreCheckedBeforeAnyMaskIsMade) {
  // iMaterialist: Height x Width of the rows, and a photo without rows by its header.
  {
    BrokenCsv csv("p1.jpg,1 4,60000,60000,0\n");
    test::expect_error(
        [&] { csv.load_all(); },
        {"train.csv:2", "ImageId p1.jpg",
         "60000x60000 = 3600000000 pixels, more than the limit of 100000000", "--max-pixels"});
    ImaterialistOptions small;
    small.max_pixels = 23;  // the fixture's photos are 4 x 6
    BrokenCsv within("p1.jpg,1 4,6,4,0\n");
    const auto source = open_imaterialist(within.paths, small);
    test::expect_error([&] { source->load(0); }, {"ImageId p1.jpg", "more than the limit of 23"});
    test::expect_error([&] { source->load(1); }, {"p2.jpg", "more than the limit of 23"});
  }
  // COCO: an image declared 60000 x 60000 with a polygon (rasterising it would take 3.6 GB).
  {
    test::TempDir dir;
    write_text(dir / "huge.json",
               R"({"images":[{"id":1,"file_name":"p1.jpg","width":60000,"height":60000}],
      "categories":[{"id":0,"name":"shirt, blouse"}], "annotations":[
      {"id":5,"image_id":1,"category_id":0,"segmentation":[[0,0,59999,0,59999,59999]]}]})");
    CocoOptions options;
    options.check_image_sizes = false;
    const auto source = open_coco(dir / "huge.json", fixture("coco") / "images", options);
    test::expect_error([&] { source->load(0); },
                       {"huge.json", "image p1.jpg", "3600000000 pixels, more than the limit"});
  }
  // Image + mask folders: the photo's header.
  {
    test::TempDir dir;
    fs::create_directories(dir / "images");
    fs::create_directories(dir / "masks");
    write_text(dir / "images" / "big.png", png_header_only(60000, 60000));
    write_text(dir / "masks" / "big.png", png_header_only(60000, 60000));
    const auto source =
        open_mask_folders(dir / "images", dir / "masks", fixture("folders") / "classes.txt");
    test::expect_error([&] { source->load(0); },
                       {"big.png", "3600000000 pixels, more than the limit of 100000000"});
  }
}

TEST(Imaterialist2019, AHeaderWithImageIdNotFirstIsRefused) {
  // The rows are indexed by their first field: another order would take EncodedPixels for
  // the ImageId.
  BrokenCsv csv("1 4,p1.jpg,6,4,0\n", "EncodedPixels,ImageId,Height,Width,ClassId");
  test::expect_error([&] { csv.load_all(); },
                     {"train.csv:1", "ImageId is column 2", "it must be the first"});
}

TEST(Imaterialist2019, ImageIdsOutsideTheImageFolderAreRefused) {
  const std::pair<std::string, std::string> cases[] = {
      {"/etc/passwd", "is an absolute path"},
      {"../imat2020/train/p1.jpg", "leads out of the image folder"},
      {std::string(300, 'a') + ".jpg", "longer than a file name can be (255)"},
  };
  for (const auto& [id, message] : cases) {
    BrokenCsv csv(id + ",1 4,6,4,0\n");
    test::expect_error([&] { csv.load_all(); }, {"train.csv:2", message});
  }
}

TEST(Integers, OutOfRangeIdsAndSizesAreRefusedNotTruncated) {
  test::TempDir dir;
  auto coco = [&](const std::string& image, const std::string& annotation,
                  const std::string& category_id = "0") {
    write_text(dir / "c.json", R"({"images":[)" + image + R"(],
      "categories":[{"id":)" + category_id +
                                   R"(,"name":"shirt, blouse"}], "annotations":[)" + annotation +
                                   "]}");
    return [&] {
      const auto source = open_coco(dir / "c.json", fixture("coco") / "images");
      for (size_t i = 0; i < source->photo_count(); ++i) source->load(i);
    };
  };
  const std::string p1 = R"({"id":1,"file_name":"p1.jpg","width":4,"height":6})";
  test::expect_error(coco(R"({"id":1,"file_name":"p1.jpg","width":4294967846,"height":6})", ""),
                     {"c.json", "images[0]", "'width' 4294967846 is outside [1, 2147483647]"});
  test::expect_error(coco(p1, R"({"id":5,"image_id":1,"category_id":4294967302,
                        "segmentation":[]})"),
                     {"annotations[0]", "'category_id' 4294967302 is outside"});
  test::expect_error(coco(p1, "", "10000000000"), {"categories[0]", "'id' 10000000000"});
  test::expect_error(coco(p1, R"({"id":5,"image_id":1,"category_id":0,
                        "segmentation":{"size":[6,4],"counts":[4294967296,24]}})"),
                     {"annotation 5", "'counts' 4294967296 is outside [0, 4294967295]"});
  // label_descriptions.json of iMaterialist.
  BrokenCsv csv("p1.jpg,1 4,6,4,0\n");
  csv.paths.label_descriptions = dir / "labels.json";
  write_text(csv.paths.label_descriptions,
             R"({"categories":[{"id":4294967302,"name":"shirt"}],"attributes":[]})");
  test::expect_error([&] { csv.load_all(); },
                     {"labels.json", "categories[0]", "'id' 4294967302 is outside"});
}

}  // namespace
}  // namespace fashionseg
