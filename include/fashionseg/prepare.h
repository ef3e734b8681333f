#pragma once
/// `prepare`: turns a dataset (iMaterialist CSV, COCO JSON or image + mask folders) into the
/// prepared layout every other part reads (docs/formats.md):
///   masks/<stem>.png  one 8-bit PNG per photo, values = label-space classes, 255 = ignore
///   index.csv         image_id,image,mask,split,width,height (image absolute, mask relative
///                     to the output folder)
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

#include "fashionseg/annotations.h"
#include "fashionseg/compose.h"
#include "fashionseg/label_space.h"
#include "fashionseg/progress.h"

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

/// What a prepare run did.
struct PrepareSummary {
  size_t photos = 0;
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

/// Runs prepare. Throws Error naming file, line and ImageId for bad input; Error(kConfig)
/// when the output folder holds masks made with other settings and overwrite is off.
PrepareSummary prepare_dataset(const DatasetSource& source, const LabelSpace& labels,
                               const PrepareOptions& options, Progress& progress);

}  // namespace fashionseg
