#pragma once
/// Human-readable views of class statistics: a text table and a bar chart image.

#include <opencv2/core.hpp>

#include <string>

#include "fashionseg/data/class_stats.h"

namespace fashionseg {

/// The per-class table: value, name, photos, pixel %, and the four weights (and, when the
/// dataset has tagged photos, how many list the class), one class a line, with a header line
/// and a summary line.
std::string format_class_table(const ClassStatistics& stats);

/// A horizontal bar chart of pixel share per class (log-scaled bars, labelled with value,
/// name, pixel % and photos), RGB CV_8UC3, width 1000, about 22 pixels per class.
cv::Mat draw_class_chart(const ClassStatistics& stats);

}  // namespace fashionseg
