// Label spaces: built-in mappings, merge files (YAML and JSON) and their validation.
#include <gtest/gtest.h>

#include <fstream>

#include "data_test_support.h"
#include "fashionseg/data/imaterialist.h"
#include "fashionseg/data/label_space.h"

namespace fashionseg {
namespace {

using test::expect_error;
using test::fixture;

Taxonomy imaterialist() { return Taxonomy{imaterialist_categories(), {}}; }

TEST(LabelSpace, AllMapsCategoryKToKPlusOne) {
  const LabelSpace labels = make_all_label_space(imaterialist());
  ASSERT_EQ(labels.class_count(), 47u);
  EXPECT_EQ(labels.class_names()[0], "background");
  EXPECT_EQ(labels.class_names()[1], "shirt, blouse");
  EXPECT_EQ(labels.class_names()[46], "tassel");  // the original's off-by-one printed this for 0
  for (int k = 0; k < 46; ++k) EXPECT_EQ(labels.value_of(k), k + 1);
  expect_error(
      [&] {
        labels.value_of(46, {"train.csv", 9, "ImageId x.jpg"});
      },
      {"train.csv:9", "ImageId x.jpg", "category id 46"});
}

TEST(LabelSpace, MainKeepsTheTwentySevenItems) {
  const LabelSpace labels = make_main_label_space(imaterialist(), false);
  ASSERT_EQ(labels.class_count(), 28u);
  EXPECT_EQ(labels.class_names()[27], "umbrella");
  EXPECT_EQ(labels.value_of(0), 1);
  EXPECT_EQ(labels.value_of(26), 27);
  for (int k = 27; k < 46; ++k) EXPECT_EQ(labels.value_of(k), 0) << k;
  const LabelSpace ignoring = make_main_label_space(imaterialist(), true);
  EXPECT_EQ(ignoring.name(), "main-parts-ignored");
  for (int k = 27; k < 46; ++k) EXPECT_EQ(ignoring.value_of(k), kIgnoreValue) << k;
  EXPECT_EQ(ignoring.value_of(26), 27);
}

TEST(LabelSpace, MainNeedsTheImaterialistTaxonomy) {
  Taxonomy small{{{0, "a", ""}, {1, "b", ""}}, {}};
  expect_error([&] { make_main_label_space(small, false); }, {"46 iMaterialist categories"},
               ErrorKind::kConfig);
  Taxonomy gap{{{0, "a", ""}, {5, "b", ""}}, {}};
  expect_error([&] { make_all_label_space(gap); }, {"ids 0..1", "id 5"}, ErrorKind::kConfig);
}

void expect_coarse(const LabelSpace& labels) {
  EXPECT_EQ(labels.class_names(), (std::vector<std::string>{"background", "upper", "lower"}));
  for (int k = 0; k <= 5; ++k) EXPECT_EQ(labels.value_of(k), 1) << k;  // upperbody
  EXPECT_EQ(labels.value_of(10), 1);                                   // dress
  for (int k : {6, 7, 8}) EXPECT_EQ(labels.value_of(k), 2) << k;  // pants, shorts, skirt (by id)
  for (int k = 27; k <= 33; ++k) EXPECT_EQ(labels.value_of(k), kIgnoreValue) << k;
  for (int k : {9, 13, 23, 34, 45}) EXPECT_EQ(labels.value_of(k), 0) << k;  // unlisted
}

TEST(LabelSpace, MergeFileInYaml) {
  const LabelSpace labels =
      read_label_space_file(fixture("label_spaces") / "coarse.yaml", imaterialist());
  EXPECT_EQ(labels.name(), "coarse");
  expect_coarse(labels);
}

TEST(LabelSpace, MergeFileInJson) {
  const LabelSpace labels =
      make_label_space((fixture("label_spaces") / "coarse.json").string(), imaterialist(), false);
  EXPECT_EQ(labels.name(), "coarse-json");
  expect_coarse(labels);
}

TEST(LabelSpace, MergeFileErrorsNameFileAndLine) {
  // `[shirt, blouse]` is two names in YAML: "shirt" is not a category.
  expect_error(
      [&] {
        read_label_space_file(fixture("label_spaces") / "unknown_category.yaml", imaterialist());
      },
      {"unknown_category.yaml:4", "unknown category 'shirt'"}, ErrorKind::kConfig);
  test::TempDir dir;
  auto write = [&](const std::string& text) {
    const auto path = dir / "space.yaml";
    std::ofstream(path) << text;
    return path;
  };
  expect_error(
      [&] {
        read_label_space_file(write("name: x\nclasses:\n  - name: a\n    categoies: [hat]\n"),
                              imaterialist());
      },
      {"space.yaml:4", "unknown key 'categoies'"}, ErrorKind::kConfig);
  expect_error(
      [&] {
        read_label_space_file(write("name: x\nclasses:\n  - name: a\n    categories: [hat]\n  - "
                                    "name: b\n    categories: [14]\n"),
                              imaterialist());
      },
      {"space.yaml:6", "listed twice"}, ErrorKind::kConfig);
  expect_error(
      [&] {
        read_label_space_file(
            write("name: x\nclasses:\n  - name: a\n    supercategories: [feet]\n"), imaterialist());
      },
      {"space.yaml:4", "unknown supercategory 'feet'"}, ErrorKind::kConfig);
  expect_error([&] { make_label_space("nonsense", imaterialist(), false); },
               {"unknown label space"}, ErrorKind::kConfig);
}

}  // namespace
}  // namespace fashionseg
