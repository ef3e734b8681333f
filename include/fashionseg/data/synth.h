#pragma once
/// A small synthetic dataset in the iMaterialist 2019 layout, for demos and end-to-end tests:
/// train.csv (Kaggle RLE, ClassId with attributes such as "6_33_46"), label_descriptions.json
/// (the real 46 categories and a few real attributes) and train/*.jpg photo-like images of a
/// person-ish figure wearing overlapping garments with garment parts (sleeves, neckline,
/// pockets) lying on them. Deterministic for a given seed.

#include <cstdint>
#include <filesystem>
#include <vector>

#include "fashionseg/data/annotations.h"

namespace fashionseg {

/// Settings of the synthetic dataset.
struct SynthOptions {
  std::filesystem::path output_dir;
  size_t count = 24;  ///< photos
  int width = 192;    ///< pixels
  int height = 288;
  uint64_t seed = 1;
  int threads = 0;  ///< 0 = all cores
};

/// What was written.
struct SynthSummary {
  size_t photos = 0;
  size_t instances = 0;
};

/// Writes train.csv, label_descriptions.json and train/*.jpg under output_dir (atomically,
/// file by file). Throws Error(kConfig) for sizes below 64x96 or a zero count.
SynthSummary write_synthetic_imaterialist(const SynthOptions& options);

}  // namespace fashionseg
