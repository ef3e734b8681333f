// prepare with several sources: a masked iMaterialist source, a tag file and an unlabelled
// folder in one dataset; supervision and tags in the index (through the label space), the
// split per photo, statistics from masked photos only, a photo in two sources, resuming, and
// indexes written before these columns existed.
#include <gtest/gtest.h>

#include <fstream>

#include "data_test_support.h"
#include "fashionseg/core/files.h"
#include "fashionseg/data/class_stats.h"
#include "fashionseg/data/dataset_index.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/data/image_tags.h"
#include "fashionseg/data/imaterialist.h"
#include "fashionseg/data/prepare.h"
#include "fashionseg/data/synth.h"

namespace fashionseg {
namespace {

namespace fs = std::filesystem;
using test::expect_error;

// 6 synthetic masked photos (64x96), 4 tagged photos and 3 unlabelled ones (40x30).
struct Sources {
  test::TempDir dir;
  Sources() {
    SynthOptions synth;
    synth.output_dir = dir / "imat";
    synth.count = 6;
    synth.width = 64;
    synth.height = 96;
    synth.seed = 2;
    write_synthetic_imaterialist(synth);
    fs::create_directories(dir / "tagged" / "photos");
    fs::create_directories(dir / "plain");
    const cv::Mat rgb(30, 40, CV_8UC3, cv::Scalar(90, 120, 150));
    for (const char* name : {"t1.jpg", "t2.jpg", "t3.jpg", "t4.jpg"}) {
      write_jpeg(dir / "tagged" / "photos" / name, rgb);
    }
    write_jpeg(dir / "plain" / "u1.jpg", rgb);
    write_png(dir / "plain" / "u2.png", rgb);
    write_jpeg(dir / "plain" / "u3.jpg", rgb);
    // Ids, names, a garment part (31 sleeve) and category 0 (shirt, blouse); 6 = pants,
    // 23 = shoe, 24 = bag, wallet.
    std::ofstream(dir / "tagged" / "tags.csv") << "ImageId,ClassIds\n"
                                                  "t1.jpg,0 6 31\n"
                                                  "t2.jpg,pants;shoe\n"
                                                  "t3.jpg,\n"
                                                  "t4.jpg,24\n";
  }
  std::unique_ptr<DatasetSource> masked() const {
    return open_imaterialist(ImaterialistPaths::in_folder(dir / "imat"));
  }
  PrepareSummary prepare(const fs::path& out, const LabelSpace& labels, bool with_masked = true,
                         bool with_tags = true, bool with_plain = true) const {
    const auto source = masked();
    PrepareInputs inputs;
    if (with_masked) inputs.masked = source.get();
    if (with_tags) {
      inputs.unmasked.push_back(
          read_tag_file(TagPaths::resolve(dir / "tagged"), source->taxonomy()));
    }
    if (with_plain) inputs.unmasked.push_back(list_unlabelled_photos(dir / "plain"));
    PrepareOptions options;
    options.output_dir = out;
    options.val_fraction = 1.0 / 7.0;
    options.seed = 0;
    NullProgress progress;
    return prepare_dataset(inputs, labels, options, progress);
  }
};

std::map<std::string, DatasetEntry> by_id(const PreparedDataset& dataset) {
  std::map<std::string, DatasetEntry> entries;
  for (const auto* split : {&dataset.train, &dataset.val}) {
    for (const DatasetEntry& entry : *split) entries[entry.image_id] = entry;
  }
  return entries;
}

TEST(PrepareSources, IndexSaysSupervisionAndTagsInTheLabelSpace) {
  Sources sources;
  const auto taxonomy = sources.masked()->taxonomy();
  const fs::path out = sources.dir / "out";
  const PrepareSummary summary = sources.prepare(out, make_main_label_space(taxonomy, false));
  EXPECT_EQ(summary.photos, 13u);
  EXPECT_EQ(summary.masked, 6u);
  EXPECT_EQ(summary.tagged, 4u);
  EXPECT_EQ(summary.unlabelled, 3u);
  EXPECT_EQ(summary.masks_written, 6u);
  ASSERT_EQ(summary.sources.size(), 3u);
  EXPECT_EQ(summary.sources[1].supervision, "tags");
  EXPECT_EQ(summary.sources[1].photos, 4u);
  EXPECT_EQ(summary.sources[1].train + summary.sources[1].val, 4u);
  EXPECT_EQ(summary.sources[2].supervision, "none");

  const PreparedDataset dataset = read_prepared_dataset(out);
  const auto entries = by_id(dataset);
  ASSERT_EQ(entries.size(), 13u);
  // main: category k -> k+1 for the 27 main items; garment parts (sleeve, 31) -> background,
  // which is no tag.
  EXPECT_EQ(entries.at("t1.jpg").supervision, Supervision::kTags);
  EXPECT_EQ(entries.at("t1.jpg").tags, (std::vector<int>{1, 7}));
  EXPECT_EQ(entries.at("t2.jpg").tags, (std::vector<int>{7, 24}));
  EXPECT_EQ(entries.at("t4.jpg").tags, (std::vector<int>{25}));
  EXPECT_TRUE(entries.at("t3.jpg").tags.empty());
  EXPECT_TRUE(entries.at("t3.jpg").has_tags());
  EXPECT_TRUE(entries.at("t3.jpg").mask.empty());
  EXPECT_EQ(entries.at("t1.jpg").width, 40);
  EXPECT_EQ(entries.at("t1.jpg").height, 30);
  EXPECT_EQ(entries.at("t1.jpg").source.rfind("tags ", 0), 0u);
  EXPECT_EQ(entries.at("u2.png").supervision, Supervision::kNone);
  EXPECT_TRUE(entries.at("u2.png").tags.empty());
  EXPECT_EQ(entries.at("synth_0001.jpg").supervision, Supervision::kMask);
  EXPECT_TRUE(fs::is_regular_file(entries.at("synth_0001.jpg").mask));
  for (const auto& [id, entry] : entries) {
    EXPECT_EQ(entry.split, split_of(id, 0, 1.0 / 7.0)) << id;
  }
  EXPECT_EQ(with_supervision(dataset.train, Supervision::kMask).size() +
                with_supervision(dataset.val, Supervision::kMask).size(),
            6u);

  // Pixel statistics from the masked photos only; tags counted apart.
  const ClassStatistics stats = read_class_statistics(out / "stats.json");
  EXPECT_EQ(stats.photo_count, 6u);
  EXPECT_EQ(stats.labelled_pixels + stats.ignored_pixels, 6u * 64u * 96u);
  EXPECT_EQ(stats.tagged_photo_count, 4u);
  EXPECT_EQ(stats.unlabelled_photo_count, 3u);
  ASSERT_EQ(stats.tagged.size(), stats.class_names.size());
  EXPECT_EQ(stats.tagged[7], 2u);   // pants: t1, t2
  EXPECT_EQ(stats.tagged[24], 1u);  // shoe: t2
  EXPECT_EQ(stats.tagged[25], 1u);  // bag: t4
  EXPECT_EQ(stats.tagged[0], 0u);
  // Subsets list masked photos only.
  const std::string subsets =
      read_file(out / "subsets" / "subset_a.txt") + read_file(out / "subsets" / "subset_b.txt");
  EXPECT_EQ(subsets.find("t1.jpg"), std::string::npos);
}

TEST(PrepareSources, ThePartsOfALabelSpaceThatIgnoresThemAreNoTags) {
  Sources sources;
  const auto taxonomy = sources.masked()->taxonomy();
  sources.prepare(sources.dir / "out", make_all_label_space(taxonomy));
  EXPECT_EQ(by_id(read_prepared_dataset(sources.dir / "out")).at("t1.jpg").tags,
            (std::vector<int>{1, 7, 32}))
      << "all: sleeve (31) is class 32";
  sources.prepare(sources.dir / "ignored", make_main_label_space(taxonomy, true));
  EXPECT_EQ(by_id(read_prepared_dataset(sources.dir / "ignored")).at("t1.jpg").tags,
            (std::vector<int>{1, 7}));
}

TEST(PrepareSources, TagsAndPhotosWithoutAMaskedSource) {
  Sources sources;
  const auto taxonomy = sources.masked()->taxonomy();
  const PrepareSummary summary =
      sources.prepare(sources.dir / "out", make_all_label_space(taxonomy), false);
  EXPECT_EQ(summary.photos, 7u);
  EXPECT_EQ(summary.masks_written, 0u);
  const PreparedDataset dataset = read_prepared_dataset(sources.dir / "out");
  EXPECT_EQ(dataset.class_names.size(), 47u);
  EXPECT_EQ(read_class_statistics(sources.dir / "out" / "stats.json").photo_count, 0u);
}

TEST(PrepareSources, APhotoInTwoSourcesIsAnErrorNamingFileAndLine) {
  Sources sources;
  std::ofstream(sources.dir / "tagged" / "tags.csv", std::ios::app) << "synth_0003.jpg,6\n";
  fs::copy_file(sources.dir / "imat" / "train" / "synth_0003.jpg",
                sources.dir / "tagged" / "photos" / "synth_0003.jpg");
  const auto taxonomy = sources.masked()->taxonomy();
  expect_error([&] { sources.prepare(sources.dir / "out", make_all_label_space(taxonomy)); },
               {"tags.csv:6", "ImageId synth_0003.jpg", "two sources", "iMaterialist"});
  EXPECT_FALSE(fs::exists(sources.dir / "out" / "index.csv"));
  // The same folder as tags and as unlabelled photos.
  PrepareInputs inputs;
  inputs.unmasked.push_back(list_unlabelled_photos(sources.dir / "plain"));
  inputs.unmasked.push_back(list_unlabelled_photos(sources.dir / "plain"));
  PrepareOptions options;
  options.output_dir = sources.dir / "twice";
  NullProgress progress;
  expect_error([&] { prepare_dataset(inputs, make_all_label_space(taxonomy), options, progress); },
               {"u1.jpg", "two sources"});
}

TEST(PrepareSources, AddingTagsToAPreparedFolderKeepsItsMasksAndSplit) {
  Sources sources;
  const auto labels = make_all_label_space(sources.masked()->taxonomy());
  const fs::path out = sources.dir / "out";
  sources.prepare(out, labels, true, false, false);
  const auto before = by_id(read_prepared_dataset(out));
  EXPECT_EQ(before.size(), 6u);
  const PrepareSummary summary = sources.prepare(out, labels);
  EXPECT_EQ(summary.masks_kept, 6u);
  EXPECT_EQ(summary.masks_written, 0u);
  const auto after = by_id(read_prepared_dataset(out));
  EXPECT_EQ(after.size(), 13u);
  for (const auto& [id, entry] : before) EXPECT_EQ(after.at(id).split, entry.split) << id;
  // Another label space changes the masks: refused without --overwrite.
  expect_error(
      [&] { sources.prepare(out, make_main_label_space(sources.masked()->taxonomy(), false)); },
      {"other settings"}, ErrorKind::kConfig);
}

TEST(PrepareSources, HoldsOutAboutASeventhOfEachSource) {
  // The split rule is per photo, so each source's share follows the fraction.
  for (const char* prefix : {"ccp_", "street_", "IMG_"}) {
    size_t val = 0;
    for (int i = 0; i < 700; ++i) {
      val += split_of(prefix + std::to_string(i) + ".jpg", 0, 1.0 / 7.0) == "val";
    }
    EXPECT_GT(val, 70u) << prefix;
    EXPECT_LT(val, 130u) << prefix;
  }
}

TEST(DatasetIndex, OldIndexesReadAsMaskedAndNewColumnsAreChecked) {
  test::TempDir dir;
  std::ofstream(dir / "classes.json")
      << R"({"label_space":"all","classes":["background","a","b"]})";
  std::ofstream(dir / "index.csv") << "image_id,image,mask,split,width,height\n"
                                      "x.jpg,/x.jpg,masks/x.png,train,4,6\n";
  const PreparedDataset old = read_prepared_dataset(dir.path());
  ASSERT_EQ(old.train.size(), 1u);
  EXPECT_EQ(old.train[0].supervision, Supervision::kMask);
  EXPECT_TRUE(old.train[0].has_mask());
  EXPECT_TRUE(old.train[0].source.empty());

  const std::string header = "image_id,image,mask,split,width,height,supervision,tags,source\n";
  auto index_with = [&](const std::string& row) {
    std::ofstream(dir / "index.csv") << header << "x.jpg,/x.jpg,masks/x.png,train,4,6,mask,,s\n"
                                     << row;
  };
  index_with("y.jpg,/y.jpg,,val,4,6,tags,2 1,t\n");
  const PreparedDataset fresh = read_prepared_dataset(dir.path());
  ASSERT_EQ(fresh.val.size(), 1u);
  EXPECT_EQ(fresh.val[0].tags, (std::vector<int>{1, 2}));
  EXPECT_EQ(fresh.val[0].source, "t");
  EXPECT_TRUE(fresh.val[0].mask.empty());
  index_with("y.jpg,/y.jpg,,val,4,6,boxes,,t\n");
  expect_error([&] { read_prepared_dataset(dir.path()); },
               {"index.csv:3", "ImageId y.jpg", "supervision 'boxes'"});
  index_with("y.jpg,/y.jpg,,val,4,6,tags,3,t\n");
  expect_error([&] { read_prepared_dataset(dir.path()); }, {"index.csv:3", "tag '3'"});
  index_with("y.jpg,/y.jpg,,val,4,6,tags,0,t\n");
  expect_error([&] { read_prepared_dataset(dir.path()); }, {"index.csv:3", "tag '0'"});
  index_with("y.jpg,/y.jpg,masks/y.png,val,4,6,none,,t\n");
  expect_error([&] { read_prepared_dataset(dir.path()); }, {"index.csv:3", "mask path"});
  index_with("y.jpg,/y.jpg,,val,4,6,mask,,t\n");
  expect_error([&] { read_prepared_dataset(dir.path()); }, {"index.csv:3", "needs a mask"});
  index_with("y.jpg,/y.jpg,,val,4,6,none,1,t\n");
  expect_error([&] { read_prepared_dataset(dir.path()); }, {"index.csv:3", "list tags"});
}

}  // namespace
}  // namespace fashionseg
