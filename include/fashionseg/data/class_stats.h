#pragma once
/// Class statistics of a prepared dataset and the class weights derived from them.
/// Every weight is 0 for a class that never occurs. With p_c = pixels of c / all labelled
/// pixels (ignore excluded), K = number of classes that occur:
///  - inverse_frequency  w_c = 1 / (K p_c)            (a uniform distribution gives 1)
///  - median_frequency   w_c = median_k(f_k) / f_c, f_c = pixels of c / labelled pixels of
///                       the photos that contain c     (Eigen & Fergus 2015)
///  - enet               w_c = 1 / ln(1.02 + p_c)      (Paszke et al. 2016)
///  - mean_complement    w_c = mean over photos containing c of (1 - share of c in that
///                       photo's labelled pixels)      (the original project's intent)

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace fashionseg {

/// Per-class counts and weights, indexed by mask value.
struct ClassStatistics {
  std::string label_space;
  std::vector<std::string> class_names;
  size_t photo_count = 0;
  uint64_t labelled_pixels = 0;  ///< all pixels except ignore (255)
  uint64_t ignored_pixels = 0;
  std::vector<uint64_t> pixels;     ///< per class
  std::vector<uint64_t> photos;     ///< photos containing the class
  std::vector<double> pixel_share;  ///< pixels / labelled_pixels
  std::vector<double> inverse_frequency;
  std::vector<double> median_frequency;
  std::vector<double> enet;
  std::vector<double> mean_complement;
  /// Photos with image-level tags only (not in the pixel counts above), and per class the
  /// tagged photos that list it. Photos with neither mask nor tags are counted apart.
  size_t tagged_photo_count = 0;
  std::vector<uint64_t> tagged;  ///< per class; empty when read from an older stats.json
  size_t unlabelled_photo_count = 0;
};

/// Pixel counts of one photo: `pixels[v]` for each class value v, plus ignored pixels.
struct PhotoHistogram {
  std::vector<uint64_t> pixels;
  uint64_t ignored = 0;
};

/// Computes counts and all weights from per-photo histograms (each of class_names.size()).
ClassStatistics compute_class_statistics(const std::string& label_space,
                                         const std::vector<std::string>& class_names,
                                         const std::vector<PhotoHistogram>& photos);

/// Fills the tag counts of `stats` from each tagged photo's class values (each < classes).
void add_tag_counts(ClassStatistics& stats, const std::vector<std::vector<int>>& tagged_photos,
                    size_t unlabelled_photos);

/// Writes stats.json atomically (format in docs/formats.md).
void write_class_statistics(const std::filesystem::path& path, const ClassStatistics& stats);

/// Reads stats.json back. Throws Error(kNotFound) / Error(kInput) naming the file.
ClassStatistics read_class_statistics(const std::filesystem::path& path);

}  // namespace fashionseg
