// Data loader throughput in images/s: decode (JPEG photo + PNG mask), random scale 0.5-2.0
// after resizing the short side to 192, random 192x288 crop with padding, flip, colour
// jitter, ImageNet normalisation and collation into batches of 8, at 1 and 2 worker threads.
// Same pipeline as bench/loader_torch_reference.py; bench/run_loader_bench.sh runs both.
//
// Data: $FASHIONSEG_SHARED_DATA/ccp-imat (default ../shared/data/ccp-imat): train/*.jpg with
// masks/*.png of the same stem.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "fashionseg/torch/data_loader.h"

namespace fs = std::filesystem;
using fashionseg::Batch;
using fashionseg::DataLoader;
using fashionseg::LoaderOptions;
using fashionseg::LoaderSample;

namespace {

std::vector<LoaderSample> ccp_samples() {
  const char* env = std::getenv("FASHIONSEG_SHARED_DATA");
  const fs::path root = fs::path(env ? env : FASHIONSEG_SHARED_DATA_DIR) / "ccp-imat";
  std::vector<LoaderSample> samples;
  std::error_code ec;
  if (!fs::is_directory(root / "train", ec)) return samples;
  for (const auto& entry : fs::directory_iterator(root / "train")) {
    if (entry.path().extension() != ".jpg") continue;
    const fs::path mask = root / "masks" / (entry.path().stem().string() + ".png");
    if (fs::exists(mask)) samples.push_back({entry.path(), mask, ""});
  }
  std::sort(samples.begin(), samples.end(),
            [](const LoaderSample& a, const LoaderSample& b) { return a.image < b.image; });
  return samples;
}

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

LoaderOptions training_options(int workers) {
  LoaderOptions o;
  o.train = true;
  o.shuffle = true;
  o.batch_size = 8;
  o.workers = workers;
  o.prefetch_batches = 4;
  o.seed = 1;
  o.transform.resize = fashionseg::ResizeMode::kShortSide;
  o.transform.short_side = 192;
  o.transform.scale_min = 0.5;
  o.transform.scale_max = 2.0;
  o.transform.crop = {192, 288};
  o.transform.flip_probability = 0.5;
  o.transform.jitter = {0.3, 0.3, 0.3, 0.05};
  return o;
}

// One epoch per iteration, after an untimed warm-up epoch (page cache, allocator).
void BM_LoaderEpoch(benchmark::State& state) {
  const std::vector<LoaderSample> samples = ccp_samples();
  if (samples.empty()) {
    state.SkipWithError("no ccp-imat data (set FASHIONSEG_SHARED_DATA)");
    return;
  }
  LoaderOptions options = training_options(static_cast<int>(state.range(0)));
  options.reduced_decode = state.range(1) != 0;
  DataLoader loader(samples, options);
  int64_t epoch = 0;
  loader.set_epoch(epoch++);
  while (auto batch = loader.next()) benchmark::DoNotOptimize(batch->images.data_ptr());

  int64_t images = 0;
  double seconds = 0;
  const double cpu_start = process_cpu_seconds();
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    loader.set_epoch(epoch++);
    while (auto batch = loader.next()) {
      images += batch->images.size(0);
      benchmark::DoNotOptimize(batch->images.data_ptr());
    }
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  // CPU time of all threads per image: less sensitive than images/s to other processes
  // sharing the cores.
  state.counters["cpu_ms_per_image"] =
      benchmark::Counter(1000.0 * (process_cpu_seconds() - cpu_start) / images);
  state.SetItemsProcessed(images);
  state.counters["images_per_s"] = benchmark::Counter(images / seconds);
  state.counters["images"] = benchmark::Counter(static_cast<double>(samples.size()));
}

}  // namespace

// reduced_decode:0 shows what the reduced-size JPEG decode contributes.
BENCHMARK(BM_LoaderEpoch)
    ->ArgNames({"workers", "reduced_decode"})
    ->Args({1, 1})
    ->Args({2, 1})
    ->Args({1, 0})
    ->Args({2, 0})
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
