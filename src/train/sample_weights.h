#pragma once
// Rare-class oversampling weights for the training loader.

#include <vector>

#include "fashionseg/data/dataset_index.h"

namespace fashionseg {

/// One sampling weight per photo: (max over the classes c the photo contains, background
/// excluded, of photos / photos_with_c) ^ strength, read from the photos' masks (in parallel).
/// strength 0 gives equal weights; 1 makes a photo with a class seen in 1 of N photos N times
/// likelier than a photo whose classes are everywhere.
std::vector<double> rare_class_sample_weights(const std::vector<DatasetEntry>& entries,
                                              int64_t num_classes, double strength, int threads);

}  // namespace fashionseg
