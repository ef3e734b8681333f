// Tag files and unlabelled photo folders: ids and names, separators, the photo folder, and
// every kind of bad input named by file and line.
#include <gtest/gtest.h>

#include <fstream>

#include "data_test_support.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/data/image_tags.h"

namespace fashionseg {
namespace {

namespace fs = std::filesystem;
using test::expect_error;

Taxonomy small_taxonomy() {
  Taxonomy taxonomy;
  taxonomy.categories = {{0, "shirt, blouse", "upperbody"},
                         {1, "top, t-shirt, sweatshirt", "upperbody"},
                         {6, "pants", "lowerbody"},
                         {20, "leg warmer", "legs and feet"},
                         {30, "a, common", "x"},
                         {31, "b, common", "x"}};
  return taxonomy;
}

// A folder with photos a.jpg, b.jpg, c.png and a tag file with `rows` after the header.
struct TagFolder {
  test::TempDir dir;
  explicit TagFolder(const std::string& rows, const std::string& header = "ImageId,ClassIds\n") {
    fs::create_directories(dir / "photos");
    const cv::Mat rgb(6, 4, CV_8UC3, cv::Scalar(10, 20, 30));
    write_jpeg(dir / "photos" / "a.jpg", rgb);
    write_jpeg(dir / "photos" / "b.jpg", rgb);
    write_png(dir / "photos" / "c.png", rgb);
    std::ofstream(dir / "tags.csv") << header << rows;
  }
  UnmaskedSource read() const {
    return read_tag_file(TagPaths::resolve(dir.path()), small_taxonomy());
  }
  std::string csv() const { return (dir / "tags.csv").string(); }
};

TEST(TagVocabulary, IdsWholeNamesPartsAndUnderscores) {
  const Taxonomy taxonomy = small_taxonomy();
  const TagVocabulary vocabulary(taxonomy);
  EXPECT_EQ(vocabulary.find("6"), 6);
  EXPECT_EQ(vocabulary.find("shirt, blouse"), 0);
  EXPECT_EQ(vocabulary.find("Blouse"), 0);
  EXPECT_EQ(vocabulary.find("t-shirt"), 1);
  EXPECT_EQ(vocabulary.find("leg_warmer"), 20);
  EXPECT_EQ(vocabulary.find("leg  warmer"), 20);
  EXPECT_FALSE(vocabulary.find("7").has_value()) << "no category 7";
  EXPECT_FALSE(vocabulary.find("-1").has_value());
  EXPECT_FALSE(vocabulary.find("common").has_value()) << "shared by two categories";
  EXPECT_EQ(vocabulary.find("a"), 30);
  EXPECT_FALSE(vocabulary.find("sweater").has_value());
}

TEST(ReadTagFile, IdsAndNamesSortedAndDeduplicatedWithTheirPhotos) {
  TagFolder folder(
      "a.jpg,6 0 6\n"
      "b,\"pants;shirt, blouse; leg warmer\"\n"  // no extension: b.jpg; ';' keeps names whole
      "\n"
      "c.png,\r\n");  // tagged with nothing
  const UnmaskedSource source = folder.read();
  EXPECT_EQ(source.kind, UnmaskedSource::Kind::kTags);
  EXPECT_EQ(source.description(), "tags " + fs::absolute(folder.csv()).lexically_normal().string());
  ASSERT_EQ(source.photos.size(), 3u);
  EXPECT_EQ(source.photos[0].image_id, "a.jpg");
  EXPECT_EQ(source.photos[0].category_ids, (std::vector<int>{0, 6}));
  EXPECT_EQ(source.photos[0].where.line, 2u);
  EXPECT_EQ(source.photos[1].image_id, "b");
  EXPECT_EQ(source.photos[1].image.filename(), "b.jpg");
  EXPECT_TRUE(source.photos[1].image.is_absolute());
  EXPECT_EQ(source.photos[1].category_ids, (std::vector<int>{0, 6, 20}));
  EXPECT_EQ(source.photos[2].category_ids, std::vector<int>{});
  EXPECT_EQ(source.photos[2].where.line, 5u);
}

TEST(ReadTagFile, BadInputNamesFileAndLine) {
  expect_error([] { TagFolder("a.jpg,0\nb.jpg,0 99\n").read(); },
               {"tags.csv:3", "ImageId b.jpg", "unknown category '99'"});
  expect_error([] { TagFolder("a.jpg,sweater\n").read(); },
               {"tags.csv:2", "unknown category 'sweater'"});
  expect_error([] { TagFolder("a.jpg,common\n").read(); }, {"tags.csv:2", "'common'"});
  expect_error([] { TagFolder("a.jpg,0\nzz.jpg,0\n").read(); },
               {"tags.csv:3", "ImageId zz.jpg", "missing"}, ErrorKind::kNotFound);
  expect_error([] { TagFolder("a.jpg,0\nb.jpg,1\na.jpg,6\n").read(); },
               {"tags.csv:4", "listed twice (first on line 2)"});
  expect_error([] { TagFolder("a.jpg,0,1\n").read(); }, {"tags.csv:2", "expected 2 fields"});
  expect_error([] { TagFolder("a.jpg,\"0\n").read(); }, {"tags.csv:2"});
  expect_error([] { TagFolder("../a.jpg,0\n").read(); }, {"tags.csv:2", "file name"});
  expect_error([] { TagFolder("a.jpg,0\n", "ImageId,EncodedPixels\n").read(); },
               {"tags.csv:1", "ImageId,ClassIds"});
  expect_error([] { TagFolder("", "").read(); }, {"tags.csv", "empty"});
}

TEST(TagPaths, FolderOrFileWithItsPhotos) {
  TagFolder folder("a.jpg,0\n");
  const TagPaths from_folder = TagPaths::resolve(folder.dir.path());
  EXPECT_EQ(from_folder.csv, folder.dir / "tags.csv");
  EXPECT_EQ(from_folder.photos, folder.dir / "photos");
  const TagPaths from_file = TagPaths::resolve(folder.dir / "tags.csv");
  EXPECT_EQ(from_file.photos, folder.dir / "photos");
  EXPECT_EQ(TagPaths::resolve(folder.dir / "tags.csv", "/elsewhere").photos, "/elsewhere");
  expect_error([&] { read_tag_file(TagPaths::resolve(folder.dir / "none.csv"), small_taxonomy()); },
               {"none.csv", "not found"}, ErrorKind::kNotFound);
  expect_error(
      [&] {
        read_tag_file(TagPaths::resolve(folder.dir / "tags.csv", "/nowhere"), small_taxonomy());
      },
      {"/nowhere"}, ErrorKind::kNotFound);
}

TEST(UnlabelledPhotos, SortedPhotosOfTheFolderOnly) {
  TagFolder folder("");
  std::ofstream(folder.dir / "photos" / "notes.txt") << "not a photo";
  const UnmaskedSource source = list_unlabelled_photos(folder.dir / "photos");
  EXPECT_EQ(source.kind, UnmaskedSource::Kind::kUnlabelled);
  ASSERT_EQ(source.photos.size(), 3u);
  EXPECT_EQ(source.photos[0].image_id, "a.jpg");
  EXPECT_EQ(source.photos[2].image_id, "c.png");
  EXPECT_TRUE(source.photos[2].category_ids.empty());
  EXPECT_EQ(source.description().rfind("photos ", 0), 0u);
  test::TempDir empty;
  expect_error([&] { list_unlabelled_photos(empty.path()); }, {"no photos"}, ErrorKind::kNotFound);
  expect_error([&] { list_unlabelled_photos(empty / "missing"); }, {"missing"},
               ErrorKind::kNotFound);
}

}  // namespace
}  // namespace fashionseg
