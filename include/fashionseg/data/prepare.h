#pragma once
/// `prepare`: turns a dataset (iMaterialist CSV, COCO JSON or image + mask folders), plus
/// any number of photos with image-level tags or with no labels at all, into the prepared
/// layout every other part reads (docs/formats.md):
///   masks/<stem>.png  one 8-bit PNG per masked photo, values = label-space classes, 255 = ignore
///   index.csv         image_id,image,mask,split,width,height,supervision,tags,source (image
///                     absolute, mask relative to the output folder and empty for photos
///                     without one; supervision mask | tags | none; tags = label-space values)
///   classes.json      label space name, class names (index = mask value), ignore value
///   stats.json        photos and pixels per class, class weights (class_stats.h)
///   subsets/subset_a.txt, subsets/subset_b.txt   class-stratified quick-experiment lists
///   prepare.json      the settings the masks were made with (checked when resuming)
/// Parallel over photos, resumable (complete masks are kept, temp files removed on start),
/// every file written atomically; index.csv and stats.json are written last.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "fashionseg/core/progress.h"
#include "fashionseg/data/annotations.h"
#include "fashionseg/data/compose.h"
#include "fashionseg/data/image_tags.h"
#include "fashionseg/data/label_space.h"

namespace fashionseg {

/// Settings of a prepare run.
struct PrepareOptions {
  std::filesystem::path output_dir;
  OverlapPolicy overlap = OverlapPolicy::kSmallestOnTop;
  double val_fraction = 0.1;  ///< share of photos in the validation split, [0, 1]
  uint64_t seed = 0;          ///< seeds the split and the subsets
  int threads = 0;            ///< 0 = all cores
  /// Start over: delete existing masks instead of resuming (needed when settings changed).
  bool overwrite = false;
};

/// The sources of one prepared dataset. Every photo comes from exactly one of them.
struct PrepareInputs {
  /// Photos with pixel masks (iMaterialist, COCO, mask folders); may be null. Its taxonomy
  /// also resolves the tags.
  const DatasetSource* masked = nullptr;
  /// Tag files and unlabelled photo folders (image_tags.h); their tags are source category
  /// ids, mapped through the label space like the masks' categories.
  std::vector<UnmaskedSource> unmasked;
};

/// Photos and split of one source.
struct SourceSummary {
  std::string description;
  std::string supervision;  ///< "mask", "tags" or "none"
  size_t photos = 0, train = 0, val = 0;
};

/// What a prepare run did.
struct PrepareSummary {
  size_t photos = 0;
  size_t masked = 0, tagged = 0, unlabelled = 0;
  std::vector<SourceSummary> sources;  ///< in the order given, the masked source first
  size_t masks_written = 0;
  size_t masks_kept = 0;  ///< complete masks of an earlier run, reused
  size_t train = 0, val = 0;
  size_t subset_a = 0, subset_b = 0;
};

/// Which split a photo belongs to: a hash of ImageId and seed, compared with val_fraction.
/// Deterministic and independent of the other photos. Returns "train" or "val".
std::string split_of(const std::string& image_id, uint64_t seed, double val_fraction);

/// The file stem of a photo's mask: the ImageId without its extension.
std::string mask_stem(const std::string& image_id);

/// The two class-stratified subsets of the original project: for each category c with n_c
/// instances, n_c / 10 photos containing c (in seeded hash order) are picked; the first
/// half goes to subset A, the second to subset B. A photo already picked keeps its subset.
/// `instances[i][c]` = instances of category index c in photo i. Returns photo indices.
std::pair<std::vector<size_t>, std::vector<size_t>> stratified_subsets(
    const std::vector<std::string>& image_ids, const std::vector<std::vector<uint32_t>>& instances,
    uint64_t seed);

/// Runs prepare. Throws Error naming file, line and ImageId for bad input (a photo whose
/// ImageId appears in two sources among them); Error(kConfig) when the output folder holds
/// masks made with other settings and overwrite is off. The split rule is split_of for
/// every photo, so each source keeps about val_fraction of its photos for validation, and a
/// photo keeps its split when sources are added. Tags and unlabelled photos do not take part
/// in the masks' settings check: adding them to a prepared folder keeps its masks. Class
/// statistics count pixels of masked photos only, tags apart.
PrepareSummary prepare_dataset(const PrepareInputs& inputs, const LabelSpace& labels,
                               const PrepareOptions& options, Progress& progress);

/// The same with a masked source only.
PrepareSummary prepare_dataset(const DatasetSource& source, const LabelSpace& labels,
                               const PrepareOptions& options, Progress& progress);

}  // namespace fashionseg
