// One mask per photo: the three overlap policies, background- and ignore-mapped instances.
#include <gtest/gtest.h>

#include "data_test_support.h"
#include "fashionseg/data/compose.h"
#include "fashionseg/data/imaterialist.h"

namespace fashionseg {
namespace {

using test::mask_of;
using test::same_mask;

// 6 rows x 4 columns; instances in file order: sleeve (31) 3 px, shirt (0) 16 px, pants (6) 6 px.
PhotoAnnotations photo() {
  PhotoAnnotations p;
  p.width = 4;
  p.height = 6;
  p.instances.push_back({31, {}, {{1, 3}}, false, {}});
  p.instances.push_back({0, {61}, {{0, 4}, {6, 4}, {12, 4}, {18, 4}}, false, {}});
  p.instances.push_back({6, {}, {{9, 3}, {15, 3}}, false, {}});
  return p;
}

LabelSpace all() { return make_all_label_space(Taxonomy{imaterialist_categories(), {}}); }

TEST(Compose, SmallestOnTopKeepsPartsVisible) {
  EXPECT_TRUE(same_mask(compose_mask(photo(), all(), OverlapPolicy::kSmallestOnTop),
                        mask_of({{1, 1, 1, 1},
                                 {32, 1, 1, 1},
                                 {32, 1, 1, 1},
                                 {32, 7, 7, 1},
                                 {0, 7, 7, 0},
                                 {0, 7, 7, 0}})));
}

TEST(Compose, LargestOnTopHidesParts) {
  EXPECT_TRUE(same_mask(
      compose_mask(photo(), all(), OverlapPolicy::kLargestOnTop),
      mask_of(
          {{1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}, {0, 7, 7, 0}, {0, 7, 7, 0}})));
}

TEST(Compose, FileOrderLetsTheLastWin) {
  EXPECT_TRUE(same_mask(
      compose_mask(photo(), all(), OverlapPolicy::kFileOrder),
      mask_of(
          {{1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}, {1, 7, 7, 1}, {0, 7, 7, 0}, {0, 7, 7, 0}})));
}

TEST(Compose, BackgroundMappedPartsDoNotEraseAndIgnoredPartsShow) {
  const Taxonomy taxonomy{imaterialist_categories(), {}};
  // main: the sleeve maps to background, so the shirt below it stays.
  EXPECT_TRUE(same_mask(
      compose_mask(photo(), make_main_label_space(taxonomy, false)),
      mask_of(
          {{1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}, {1, 7, 7, 1}, {0, 7, 7, 0}, {0, 7, 7, 0}})));
  EXPECT_TRUE(same_mask(compose_mask(photo(), make_main_label_space(taxonomy, true)),
                        mask_of({{1, 1, 1, 1},
                                 {255, 1, 1, 1},
                                 {255, 1, 1, 1},
                                 {255, 7, 7, 1},
                                 {0, 7, 7, 0},
                                 {0, 7, 7, 0}})));
}

TEST(Compose, EqualAreasKeepFileOrder) {
  PhotoAnnotations p;
  p.width = 1;
  p.height = 2;
  p.instances.push_back({0, {}, {{0, 2}}, false, {}});
  p.instances.push_back({1, {}, {{0, 2}}, false, {}});
  EXPECT_TRUE(same_mask(compose_mask(p, all()), mask_of({{2}, {2}})));
}

TEST(Compose, PolicyNamesParse) {
  EXPECT_EQ(parse_overlap_policy("smallest-on-top"), OverlapPolicy::kSmallestOnTop);
  EXPECT_EQ(parse_overlap_policy("largest-on-top"), OverlapPolicy::kLargestOnTop);
  EXPECT_EQ(parse_overlap_policy("file-order"), OverlapPolicy::kFileOrder);
  test::expect_error([] { parse_overlap_policy("biggest"); }, {"unknown overlap policy 'biggest'"},
                     ErrorKind::kConfig);
}

}  // namespace
}  // namespace fashionseg
