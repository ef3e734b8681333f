#include "fashionseg/data/confusion_heatmap.h"

#include <opencv2/imgproc.hpp>

namespace fashionseg {

cv::Mat draw_confusion_heatmap(const ConfusionMatrix& matrix,
                               const std::vector<std::string>& class_names) {
  const int c = matrix.num_classes();
  std::vector<int> shown;
  for (int k = 0; k < c; ++k) {
    uint64_t row = 0, column = 0;
    for (int j = 0; j < c; ++j) {
      row += matrix.at(k, j);
      column += matrix.at(j, k);
    }
    if (row + column > 0) shown.push_back(k);
  }
  const int n = std::max<int>(1, static_cast<int>(shown.size()));
  const int cell = 22, label_width = 190, top = 190;
  const int width = label_width + n * cell + 20, height = top + n * cell + 20;
  cv::Mat canvas(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  auto name = [&](int k) {
    std::string text =
        k < static_cast<int>(class_names.size()) ? class_names[k] : "class_" + std::to_string(k);
    return text.size() > 26 ? text.substr(0, 25) + "." : text;
  };
  // Cell colours from the row-normalised matrix through the viridis-like ramp of OpenCV.
  cv::Mat shares(n, n, CV_8UC1, cv::Scalar(0));
  for (int i = 0; i < static_cast<int>(shown.size()); ++i) {
    uint64_t row_total = 0;
    for (int j = 0; j < c; ++j) row_total += matrix.at(shown[i], j);
    for (int j = 0; j < static_cast<int>(shown.size()); ++j) {
      const double share =
          row_total ? static_cast<double>(matrix.at(shown[i], shown[j])) / row_total : 0.0;
      shares.at<uint8_t>(i, j) = static_cast<uint8_t>(std::lround(share * 255));
    }
  }
  cv::Mat colours;
  cv::applyColorMap(shares, colours, cv::COLORMAP_VIRIDIS);  // BGR
  cv::cvtColor(colours, colours, cv::COLOR_BGR2RGB);
  for (int i = 0; i < static_cast<int>(shown.size()); ++i) {
    for (int j = 0; j < static_cast<int>(shown.size()); ++j) {
      const cv::Vec3b colour = colours.at<cv::Vec3b>(i, j);
      cv::rectangle(canvas, cv::Rect(label_width + j * cell, top + i * cell, cell - 1, cell - 1),
                    cv::Scalar(colour[0], colour[1], colour[2]), cv::FILLED);
    }
    const std::string label = name(shown[i]);
    cv::putText(canvas, label, cv::Point(6, top + i * cell + 15), cv::FONT_HERSHEY_SIMPLEX, 0.4,
                cv::Scalar(20, 20, 20), 1, cv::LINE_AA);
    // Column labels: drawn horizontally into a strip, then rotated to read upwards.
    cv::Mat strip(cell, top - 10, CV_8UC3, cv::Scalar(255, 255, 255));
    cv::putText(strip, label, cv::Point(4, 15), cv::FONT_HERSHEY_SIMPLEX, 0.4,
                cv::Scalar(20, 20, 20), 1, cv::LINE_AA);
    cv::Mat rotated;
    cv::rotate(strip, rotated, cv::ROTATE_90_COUNTERCLOCKWISE);
    rotated.copyTo(canvas(cv::Rect(label_width + i * cell, 5, rotated.cols, rotated.rows)));
  }
  cv::putText(canvas, "truth \\ predicted (rows sum to 1)", cv::Point(6, 20),
              cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  return canvas;
}

}  // namespace fashionseg
