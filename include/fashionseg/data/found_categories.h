#pragma once
/// What a predicted label mask contains: the categories found in a photo (pixel share,
/// bounding box, number of separate pieces) and the connected pieces themselves, under one
/// minimum-area rule shared by every output (JSON, CSV, COCO, the categories line).

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "fashionseg/data/cielab.h"

namespace fashionseg {

/// The area rule. A category is found when it covers at least `min_area_fraction` of the
/// photo; a connected piece of it (8-connected) counts as an instance when it covers at least
/// `min_area_fraction * piece_fraction` of the photo, so small specks are not listed as items.
struct AreaRule {
  double min_area_fraction = 0.001;
  double piece_fraction = 0.25;
  /// Whether min_area_fraction was asked for (predict --min-area, serve's min_area): it then
  /// replaces the area thresholds of a model's calibrated category rule for this call (the
  /// head's thresholds still apply). Otherwise a calibrated rule's own thresholds decide.
  bool overrides_calibration = false;
};

/// One of a category's dominant colours (garment_colors.h computes them).
struct GarmentColor {
  std::string name;  ///< from the fixed palette of docs/colors.md, e.g. "burgundy"
  std::string hex;   ///< "#rrggbb": the mean colour of its pixels, sRGB
  Lab lab;           ///< the same mean in CIELAB (D65)
  double share = 0;  ///< share of the category's pixels (those away from its border) it covers
};

/// One category found in a photo.
struct FoundCategory {
  int id = 0;          ///< label value (class index of the model)
  std::string name;    ///< class name (as in label_descriptions.json for iMaterialist)
  int64_t pixels = 0;  ///< labelled pixels
  double share = 0;    ///< pixels / photo pixels
  cv::Rect box;        ///< bounding box of all its pixels
  int instances = 0;   ///< connected pieces that pass the piece rule (at least 1)
  /// How sure the model is that the photo shows the category, in [0, 1]: the calibrated
  /// probability of the category head where the model has one, otherwise the mean winning
  /// pixel probability over the category's pixels. 0 when not computed (find_contents).
  double confidence = 0;
  /// Its dominant colours, largest share first; empty unless asked for (garment_colors.h).
  std::vector<GarmentColor> colors;
};

/// One connected piece of a category.
struct MaskPiece {
  int id = 0;    ///< label value
  cv::Mat mask;  ///< CV_8UC1, photo size, 1 inside the piece, 0 elsewhere
  cv::Rect box;  ///< bounding box
  int64_t pixels = 0;
};

/// What a label mask contains under an area rule.
struct MaskContents {
  /// The categories found, largest share first. Background (0) and the ignore value (255)
  /// are never categories; labels without a name get "class_<id>".
  std::vector<FoundCategory> categories;
  /// The connected pieces (8-connected) of every found category that pass the piece rule, in
  /// order of category id then piece size (largest first). Pieces never overlap. Empty unless
  /// asked for.
  std::vector<MaskPiece> pieces;
};

/// The categories (and, with `with_pieces`, the pieces) of a CV_8UC1 label mask, from one
/// connected-components pass per category. Throws Error(kInput) when `labels` is not a
/// non-empty CV_8UC1 image.
MaskContents find_contents(const cv::Mat& labels, const std::vector<std::string>& class_names,
                           const AreaRule& rule = {}, bool with_pieces = false);

/// The same with a threshold per label value: value v is a category when it covers at least
/// min_area[v] of the photo (values past the vector's end, or with a threshold above 1, never
/// are); its pieces count from min_area[v] * piece_fraction. Throws as find_contents.
MaskContents find_contents(const cv::Mat& labels, const std::vector<std::string>& class_names,
                           const std::vector<double>& min_area, double piece_fraction,
                           bool with_pieces);

/// find_contents(labels, class_names, rule).categories.
std::vector<FoundCategory> find_categories(const cv::Mat& labels,
                                           const std::vector<std::string>& class_names,
                                           const AreaRule& rule = {});

/// "shirt, blouse (12.3%, 91% sure), shoe (2.1%, 64% sure)": the categories line printed per
/// photo (share of the photo, and the confidence when it is known).
std::string categories_line(const std::vector<FoundCategory>& found);

}  // namespace fashionseg
