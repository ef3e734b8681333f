// prepare: outputs, determinism of splits and subsets, resumability, no half-written files.
#include <gtest/gtest.h>

#include <fstream>

#include "data_test_support.h"
#include "fashionseg/core/files.h"
#include "fashionseg/data/class_stats.h"
#include "fashionseg/data/coco.h"
#include "fashionseg/data/dataset_index.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/data/imaterialist.h"
#include "fashionseg/data/mask_folder.h"
#include "fashionseg/data/prepare.h"
#include "fashionseg/data/synth.h"

namespace fashionseg {
namespace {

namespace fs = std::filesystem;
using test::expect_error;
using test::same_mask;

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

struct SynthDataset {
  test::TempDir dir;
  SynthDataset(size_t count = 8) {
    SynthOptions options;
    options.output_dir = dir / "data";
    options.count = count;
    options.width = 64;
    options.height = 96;
    options.seed = 5;
    write_synthetic_imaterialist(options);
  }
  std::unique_ptr<DatasetSource> source() const {
    return open_imaterialist(ImaterialistPaths::in_folder(dir / "data"));
  }
  PrepareSummary prepare(const fs::path& out, bool overwrite = false) const {
    const auto src = source();
    PrepareOptions options;
    options.output_dir = out;
    options.val_fraction = 0.25;
    options.seed = 3;
    options.overwrite = overwrite;
    NullProgress progress;
    return prepare_dataset(*src, make_all_label_space(src->taxonomy()), options, progress);
  }
};

TEST(Prepare, WritesMasksIndexClassesStatsAndSubsets) {
  SynthDataset data;
  const auto out = data.dir / "prepared";
  const auto summary = data.prepare(out);
  EXPECT_EQ(summary.photos, 8u);
  EXPECT_EQ(summary.masks_written, 8u);
  EXPECT_EQ(summary.train + summary.val, 8u);
  for (const char* name : {"index.csv", "classes.json", "stats.json", "prepare.json"}) {
    EXPECT_TRUE(fs::is_regular_file(out / name)) << name;
  }
  EXPECT_TRUE(fs::is_regular_file(out / "subsets" / "subset_a.txt"));
  const PreparedDataset dataset = read_prepared_dataset(out);
  EXPECT_EQ(dataset.class_names.size(), 47u);
  EXPECT_EQ(dataset.label_space, "all");
  EXPECT_EQ(dataset.train.size() + dataset.val.size(), 8u);
  EXPECT_EQ(dataset.train.size(), summary.train);
  // Each mask equals the composition of its photo's instances.
  const auto source = data.source();
  const auto labels = make_all_label_space(source->taxonomy());
  for (const auto* split : {&dataset.train, &dataset.val}) {
    for (const DatasetEntry& entry : *split) {
      EXPECT_TRUE(entry.image.is_absolute());
      EXPECT_TRUE(fs::is_regular_file(entry.image));
      EXPECT_EQ(entry.split, split_of(entry.image_id, 3, 0.25));
      size_t i = 0;
      while (source->image_id(i) != entry.image_id) ++i;
      EXPECT_TRUE(same_mask(read_label_mask(entry.mask), compose_mask(source->load(i), labels)))
          << entry.image_id;
      EXPECT_EQ(entry.width, 64);
      EXPECT_EQ(entry.height, 96);
    }
  }
}

TEST(Prepare, SplitIsDeterministicAndNearTheFraction) {
  size_t val = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::string id = "photo_" + std::to_string(i) + ".jpg";
    const std::string split = split_of(id, 11, 0.1);
    EXPECT_EQ(split, split_of(id, 11, 0.1));
    val += split == "val";
  }
  EXPECT_GT(val, 150u);
  EXPECT_LT(val, 250u);
  EXPECT_EQ(split_of("a.jpg", 1, 0.0), "train");
  EXPECT_EQ(split_of("a.jpg", 1, 1.0), "val");
}

TEST(Prepare, StratifiedSubsetsTakeATenthOfEachCategorysInstances) {
  // 30 photos: category 0 in every photo (1 instance each -> 3 photos), category 1 with 20
  // instances in photo 7 only (-> 2 wanted, but only 1 photo has it).
  std::vector<std::string> ids;
  std::vector<std::vector<uint32_t>> instances;
  for (int i = 0; i < 30; ++i) {
    ids.push_back("p" + std::to_string(i));
    instances.push_back({1, i == 7 ? 20u : 0u});
  }
  const auto [a, b] = stratified_subsets(ids, instances, 0);
  // Category 0 picks 3 photos (1 to A, 2 to B); category 1 adds photo 7 to B unless picked.
  EXPECT_EQ(a.size(), 1u);
  const bool seven_in_b = std::count(b.begin(), b.end(), size_t(7)) == 1;
  const bool seven_in_a = std::count(a.begin(), a.end(), size_t(7)) == 1;
  EXPECT_TRUE(seven_in_a || seven_in_b);
  EXPECT_EQ(a.size() + b.size(), seven_in_a || b.size() == 2 ? 3u : 4u);
  const auto again = stratified_subsets(ids, instances, 0);
  EXPECT_EQ(again.first, a);
  EXPECT_EQ(again.second, b);
}

TEST(Prepare, ResumesKeepingCompleteMasksAndRemovingTemps) {
  SynthDataset data;
  const auto out = data.dir / "prepared";
  data.prepare(out);
  std::map<std::string, std::string> first;
  for (const auto& name : files_in(out / "masks")) first[name] = read_file(out / "masks" / name);
  // An interrupted run: two masks never written, a temp file left by write_file_atomic.
  fs::remove(out / "masks" / "synth_0002.png");
  fs::remove(out / "masks" / "synth_0007.png");
  std::ofstream(out / "masks" / ".synth_0002.png.fstmp-999-0") << "half";
  fs::remove(out / "index.csv");
  const auto summary = data.prepare(out);
  EXPECT_EQ(summary.masks_written, 2u);
  EXPECT_EQ(summary.masks_kept, 6u);
  EXPECT_EQ(files_in(out / "masks").size(), 8u);  // the temp file is gone
  for (const auto& [name, bytes] : first) EXPECT_EQ(read_file(out / "masks" / name), bytes) << name;
  EXPECT_TRUE(fs::is_regular_file(out / "index.csv"));
}

TEST(Prepare, RefusesToMixSettingsUnlessOverwrite) {
  SynthDataset data;
  const auto out = data.dir / "prepared";
  data.prepare(out);
  const auto src = data.source();
  PrepareOptions options;
  options.output_dir = out;
  options.overlap = OverlapPolicy::kLargestOnTop;
  NullProgress progress;
  const auto labels = make_all_label_space(src->taxonomy());
  expect_error([&] { prepare_dataset(*src, labels, options, progress); },
               {"prepare.json", "other settings", "--overwrite"}, ErrorKind::kConfig);
  options.overwrite = true;
  const auto summary = prepare_dataset(*src, labels, options, progress);
  EXPECT_EQ(summary.masks_written, 8u);
}

TEST(Prepare, AFailureLeavesNoIndexAndNoHalfWrittenFiles) {
  SynthDataset data;
  // Remove one photo: its load fails mid-run.
  fs::remove(data.dir / "data" / "train" / "synth_0005.jpg");
  const auto out = data.dir / "prepared";
  expect_error([&] { data.prepare(out); }, {"train.csv:", "ImageId synth_0005.jpg", "is missing"},
               ErrorKind::kNotFound);
  EXPECT_FALSE(fs::exists(out / "index.csv"));
  EXPECT_FALSE(fs::exists(out / "stats.json"));
  for (const auto& name : files_in(out / "masks")) {
    EXPECT_FALSE(is_atomic_temp_name(name)) << name;
    EXPECT_NO_THROW(read_label_mask(out / "masks" / name)) << name;  // every mask complete
  }
}

TEST(DatasetIndex, MissingFolderAndBadRowsAreClearErrors) {
  test::TempDir dir;
  expect_error([&] { read_prepared_dataset(dir.path()); },
               {"missing classes.json", "fashionseg prepare"}, ErrorKind::kNotFound);
  std::ofstream(dir / "classes.json") << R"({"label_space":"all","classes":["background","a"]})";
  std::ofstream(dir / "index.csv")
      << "image_id,image,mask,split,width,height\nx.jpg,/x.jpg,masks/x.png,test,4,6\n";
  expect_error([&] { read_prepared_dataset(dir.path()); },
               {"index.csv:2", "ImageId x.jpg", "split 'test'"});
}

}  // namespace
}  // namespace fashionseg

namespace fashionseg {
namespace {

PrepareSummary prepare_into(const DatasetSource& source, const LabelSpace& labels,
                            const std::filesystem::path& out) {
  PrepareOptions options;
  options.output_dir = out;
  NullProgress progress;
  return prepare_dataset(source, labels, options, progress);
}

TEST(Prepare, CocoSourceWithMainLabelSpaceCountsIgnoredPixels) {
  test::TempDir dir;
  const auto source =
      open_coco(test::fixture("coco") / "coco.json", test::fixture("coco") / "images");
  prepare_into(*source, make_main_label_space(source->taxonomy(), true), dir / "out");
  // p1: the sleeve (3 px) becomes ignore, shirt and pants keep values 1 and 7.
  EXPECT_TRUE(test::same_mask(read_label_mask(dir / "out" / "masks" / "p1.png"),
                              test::mask_of({{1, 1, 1, 1},
                                             {255, 1, 1, 1},
                                             {255, 1, 1, 1},
                                             {255, 7, 7, 1},
                                             {0, 7, 7, 0},
                                             {0, 7, 7, 0}})));
  const auto stats = read_class_statistics(dir / "out" / "stats.json");
  EXPECT_EQ(stats.label_space, "main-parts-ignored");
  EXPECT_EQ(stats.ignored_pixels, 3u);
  EXPECT_EQ(stats.labelled_pixels, 48u - 3u);
  EXPECT_EQ(stats.pixels[25], 24u);  // p2: the bag covers the photo
  EXPECT_EQ(read_prepared_dataset(dir / "out").class_names.size(), 28u);
}

TEST(Prepare, MaskFoldersKeepTheirValuesAndClassNames) {
  test::TempDir dir;
  const auto folders = test::fixture("folders");
  const auto source =
      open_mask_folders(folders / "images", folders / "masks", folders / "classes.txt");
  prepare_into(*source, make_identity_label_space(source->semantic_class_names()), dir / "out");
  EXPECT_TRUE(test::same_mask(read_label_mask(dir / "out" / "masks" / "p1.png"),
                              read_label_mask(folders / "masks" / "p1.png")));
  const auto dataset = read_prepared_dataset(dir / "out");
  EXPECT_EQ(dataset.class_names,
            (std::vector<std::string>{"background", "shirt", "pants", "sleeve"}));
  EXPECT_EQ(dataset.train.size() + dataset.val.size(), 2u);
}

}  // namespace
}  // namespace fashionseg
