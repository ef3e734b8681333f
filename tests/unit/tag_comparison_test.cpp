// predict --tags: reading a tag file into a model's label values and holding the listed
// categories against it.
#include "fashionseg/data/tag_comparison.h"

#include <gtest/gtest.h>

#include <fstream>

#include "fashionseg/core/error.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

// A model with four classes: iMaterialist 0 "shirt, blouse", 23 "shoe", 24 "bag, wallet".
const std::vector<std::string> kClasses = {"background", "shirt, blouse", "shoe", "bag, wallet"};

FoundCategory listed(int id) {
  FoundCategory category;
  category.id = id;
  return category;
}

TEST(TagComparison, ReadsIdsAndNamesIntoTheModelsLabelValues) {
  test::TempDir dir;
  std::ofstream(dir / "tags.csv") << "ImageId,ClassIds\r\na.jpg,0 23 6\r\nb.jpg,bag;shoe\r\n"
                                     "c.jpg,\r\n";
  const PhotoTags tags = read_photo_tags(dir / "tags.csv", kClasses);
  ASSERT_EQ(tags.by_image.size(), 3u);
  EXPECT_EQ(tags.by_image.at("a.jpg"), (std::vector<int>{1, 2}));
  EXPECT_EQ(tags.by_image.at("b.jpg"), (std::vector<int>{2, 3}));
  EXPECT_TRUE(tags.by_image.at("c.jpg").empty());
  EXPECT_EQ(tags.outside_model, (std::vector<std::string>{"pants"}));  // category 6
}

TEST(TagComparison, BadFilesNameFileAndLine) {
  test::TempDir dir;
  std::ofstream(dir / "unknown.csv") << "ImageId,ClassIds\na.jpg,0\nb.jpg,0 jumper\n";
  try {
    read_photo_tags(dir / "unknown.csv", kClasses);
    ADD_FAILURE() << "an unknown category was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown.csv:3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("jumper"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "header.csv") << "image,classes\na.jpg,0\n";
  EXPECT_THROW(read_photo_tags(dir / "header.csv", kClasses), Error);
  std::ofstream(dir / "twice.csv") << "ImageId,ClassIds\na.jpg,0\na.jpg,23\n";
  EXPECT_THROW(read_photo_tags(dir / "twice.csv", kClasses), Error);
  EXPECT_THROW(read_photo_tags(dir / "missing.csv", kClasses), Error);
}

TEST(TagComparison, FoundMissedAddedAndTotals) {
  const TagComparison comparison = compare_with_tags({listed(3), listed(1)}, {1, 2, 2, 0});
  EXPECT_EQ(comparison.found, (std::vector<int>{1}));
  EXPECT_EQ(comparison.missed, (std::vector<int>{2}));
  EXPECT_EQ(comparison.added, (std::vector<int>{3}));
  EXPECT_EQ(comparison_line(comparison, kClasses),
            "  tags: found 1: shirt, blouse | missed 1: shoe | added 1: bag, wallet");
  EXPECT_EQ(comparison_line(compare_with_tags({listed(1), listed(2)}, {1, 2}), kClasses),
            "  tags: found 2: shirt, blouse / shoe");
  EXPECT_EQ(comparison_line(compare_with_tags({}, {}), kClasses), "  tags: none, nothing listed");
  TagTotals totals;
  totals.add(comparison);
  totals.add(compare_with_tags({listed(2)}, {2}));
  EXPECT_EQ(totals_line(totals),
            "tags of 2 photos: found 2 of 3 tagged categories (recall 0.67), 1 listed categories "
            "not tagged (precision 0.67)");
}

}  // namespace
}  // namespace fashionseg
