#pragma once
/// One semantic mask per photo from its instances: each instance painted with its label-space
/// value. Overlaps are resolved by a policy; the default keeps garment parts (sleeves,
/// pockets, necklines) visible on top of their garment.

#include <opencv2/core.hpp>

#include <string>

#include "fashionseg/data/annotations.h"
#include "fashionseg/data/label_space.h"

namespace fashionseg {

/// Which instance wins where instances overlap.
enum class OverlapPolicy {
  kSmallestOnTop,  ///< fewer pixels wins (default): parts stay visible on their garment
  kLargestOnTop,   ///< more pixels wins (what the original project did, by accident)
  kFileOrder,      ///< the instance listed last wins
};

/// "smallest-on-top", "largest-on-top" or "file-order"; Error(kConfig) otherwise.
OverlapPolicy parse_overlap_policy(const std::string& text);
/// The inverse of parse_overlap_policy.
std::string overlap_policy_name(OverlapPolicy policy);

/// The photo's semantic mask: CV_8UC1, height x width (row-major), 0 where no instance lies.
/// Instances whose category maps to background are not painted (they do not erase what
/// lies below them); instances mapped to ignore are painted 255. Equal areas keep file order
/// (the later one on top). Photos with a ready semantic_mask are mapped value by value.
/// Throws Error(kInput) at the instance's location for a category outside the label space.
cv::Mat compose_mask(const PhotoAnnotations& photo, const LabelSpace& labels,
                     OverlapPolicy policy = OverlapPolicy::kSmallestOnTop);

}  // namespace fashionseg
