// Kaggle RLE decode speed on the real train.csv rows (ccp-imat, or the file named by
// FASHIONSEG_RLE_CSV), falling back to synthetic masks. Bytes = mask pixels written.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "fashionseg/data/csv.h"
#include "fashionseg/data/rle.h"

namespace {

struct Row {
  std::string pixels;
  int height = 0, width = 0;
};

std::vector<Row> synthetic_rows() {
  std::vector<Row> rows;
  std::mt19937 rng(1);
  for (int i = 0; i < 500; ++i) {
    cv::Mat mask = cv::Mat::zeros(832, 550, CV_8UC1);
    const int x = int(rng() % 400), y = int(rng() % 600);
    cv::ellipse(mask, cv::Point(x + 60, y + 100),
                cv::Size(20 + int(rng() % 60), 30 + int(rng() % 120)), 0, 0, 360, 1, -1);
    rows.push_back({fashionseg::encode_kaggle_rle(mask), 832, 550});
  }
  return rows;
}

// Rows of a Kaggle train.csv: EncodedPixels, Height, Width (columns 2-4).
const std::vector<Row>& rows() {
  static const std::vector<Row> loaded = [] {
    const char* env = std::getenv("FASHIONSEG_RLE_CSV");
    const std::filesystem::path csv =
        env ? env : std::filesystem::path(FASHIONSEG_BENCH_SHARED_DATA) / "ccp-imat" / "train.csv";
    std::vector<Row> rows;
    if (std::filesystem::is_regular_file(csv)) {
      std::ifstream in(csv);
      std::string line;
      std::getline(in, line);  // header
      size_t number = 1;
      while (std::getline(in, line)) {
        ++number;
        const auto fields = fashionseg::parse_csv_record(line, {csv.string(), number, ""});
        rows.push_back({fields[1], std::stoi(fields[2]), std::stoi(fields[3])});
      }
      std::fprintf(stderr, "RLE rows: %zu from %s\n", rows.size(), csv.string().c_str());
    } else {
      rows = synthetic_rows();
      std::fprintf(stderr, "RLE rows: %zu synthetic (no %s)\n", rows.size(), csv.string().c_str());
    }
    return rows;
  }();
  return loaded;
}

// Like the NumPy reference: a zeroed buffer per row, runs painted, column-major result.
void BM_KaggleRleDecode(benchmark::State& state) {
  const auto& data = rows();
  size_t largest = 0, pixels = 0;
  for (const Row& row : data) {
    largest = std::max(largest, size_t(row.height) * size_t(row.width));
    pixels += size_t(row.height) * size_t(row.width);
  }
  std::vector<uint8_t> buffer(largest);
  for (auto _ : state) {
    for (const Row& row : data) {
      std::memset(buffer.data(), 0, size_t(row.height) * size_t(row.width));
      fashionseg::decode_kaggle_rle_into(row.pixels, row.height, row.width, 1, buffer.data(), {});
      benchmark::DoNotOptimize(buffer.data());
    }
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(pixels));
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(data.size()));
}
BENCHMARK(BM_KaggleRleDecode)->Unit(benchmark::kMillisecond);

// The full public decoder: allocation, decode and transpose to a row-major cv::Mat.
void BM_KaggleRleDecodeRowMajor(benchmark::State& state) {
  const auto& data = rows();
  size_t pixels = 0;
  for (const Row& row : data) pixels += size_t(row.height) * size_t(row.width);
  for (auto _ : state) {
    for (const Row& row : data) {
      cv::Mat mask = fashionseg::decode_kaggle_rle(row.pixels, row.height, row.width);
      benchmark::DoNotOptimize(mask.data);
    }
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(pixels));
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(data.size()));
}
BENCHMARK(BM_KaggleRleDecodeRowMajor)->Unit(benchmark::kMillisecond);

// Parsing only (validation included), no painting.
void BM_KaggleRleParse(benchmark::State& state) {
  const auto& data = rows();
  size_t bytes = 0;
  for (const Row& row : data) bytes += row.pixels.size();
  for (auto _ : state) {
    for (const Row& row : data) {
      auto runs = fashionseg::parse_kaggle_rle(row.pixels, row.height, row.width, {});
      benchmark::DoNotOptimize(runs.data());
    }
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(bytes));
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(data.size()));
}
BENCHMARK(BM_KaggleRleParse)->Unit(benchmark::kMillisecond);

}  // namespace
