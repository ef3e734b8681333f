// The library in a dozen lines: load a checkpoint once, segment photos from several threads
// at once, print what each person wears and save the label masks.
//
//   build/examples/segment_photos model.fsm photo.jpg [more photos...]
//
// Build against the library: link fashionseg_torch (see examples/CMakeLists.txt); the
// header needs only OpenCV and the standard library.
#include <fashionseg/torch/segmenter.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <exception>
#include <iostream>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: segment_photos <model.fsm> <photo> [photo...]\n";
    return 2;
  }
  try {
    const fashionseg::Segmenter segmenter(argv[1]);  // loaded once, shared by all threads
    std::vector<std::string> lines(static_cast<size_t>(argc - 2));
    std::vector<std::thread> workers;
    for (int i = 2; i < argc; ++i) {
      workers.emplace_back([&, i] {
        std::string& line = lines[static_cast<size_t>(i - 2)];
        try {
          const cv::Mat bgr = cv::imread(argv[i], cv::IMREAD_COLOR);
          if (bgr.empty()) throw std::runtime_error("cannot read the photo");
          cv::Mat rgb;
          cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
          const fashionseg::Segmentation result = segmenter.segment(rgb);
          cv::imwrite(std::string(argv[i]) + ".labels.png", result.labels);
          line = std::string(argv[i]) + ": " + fashionseg::categories_line(result.categories);
        } catch (const std::exception& e) {
          line = std::string(argv[i]) + ": error: " + e.what();
        }
      });
    }
    for (auto& worker : workers) worker.join();
    for (const auto& line : lines) std::cout << line << "\n";
  } catch (const std::exception& e) {
    std::cerr << "segment_photos: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
