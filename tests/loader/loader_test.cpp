// The data loader on synthetic photos written to a temp dir: batch contents against the files
// (normalised by hand), order, last batch kept, determinism across runs and worker counts,
// epochs, sharding, oversampling, channels-last, errors from workers, early destruction.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <opencv2/imgproc.hpp>

#include <fstream>
#include <map>
#include <set>

#include "fashionseg/core/error.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/torch/data_loader.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

constexpr int kSamples = 10;

// Photos of slightly different sizes (lossless PNG so pixel values are exact) and masks with
// labels 0..46 and a 255 corner.
class LoaderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    for (int i = 0; i < kSamples; ++i) {
      const int w = 40 + 2 * i, h = 30 + i;
      cv::Mat rgb(h, w, CV_8UC3), mask(h, w, CV_8UC1);
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          rgb.at<cv::Vec3b>(y, x) = cv::Vec3b((x * 5 + i * 20) % 256, (y * 7) % 256, i * 25);
          mask.at<uint8_t>(y, x) = static_cast<uint8_t>((x / 8 + y / 8 + i) % 47);
        }
      }
      mask(cv::Rect(0, 0, 3, 3)).setTo(255);
      const std::string stem = "photo" + std::to_string(i);
      write_png(*dir_ / (stem + ".png"), rgb);
      write_png(*dir_ / (stem + "_mask.png"), mask, false);
      images_.push_back(rgb);
      masks_.push_back(mask);
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
    images_.clear();
    masks_.clear();
  }

  static std::vector<LoaderSample> samples(bool with_masks = true) {
    std::vector<LoaderSample> list;
    for (int i = 0; i < kSamples; ++i) {
      const std::string stem = "photo" + std::to_string(i);
      list.push_back({*dir_ / (stem + ".png"),
                      with_masks ? *dir_ / (stem + "_mask.png") : std::filesystem::path(),
                      "",
                      {},
                      false,
                      {0, 0}});
    }
    return list;
  }

  // Evaluation pipeline padding every photo to 64x48 (no resampling: exact values).
  static LoaderOptions eval_options() {
    LoaderOptions o;
    o.batch_size = 4;
    o.workers = 2;
    o.transform.crop = {64, 48};
    return o;
  }

  static LoaderOptions train_options() {
    LoaderOptions o;
    o.train = true;
    o.shuffle = true;
    o.batch_size = 3;
    o.seed = 42;
    o.transform.scale_min = 0.5;
    o.transform.scale_max = 2.0;
    o.transform.crop = {32, 24};
    o.transform.flip_probability = 0.5;
    o.transform.jitter = {0.3, 0.3, 0.3, 0.05};
    return o;
  }

  static std::vector<Batch> all_batches(DataLoader& loader) {
    std::vector<Batch> batches;
    while (auto batch = loader.next()) batches.push_back(std::move(*batch));
    return batches;
  }

  static test::TempDir* dir_;
  static std::vector<cv::Mat> images_, masks_;
};

test::TempDir* LoaderTest::dir_ = nullptr;
std::vector<cv::Mat> LoaderTest::images_, LoaderTest::masks_;

std::vector<Batch> collect_batches(DataLoader& loader) {
  std::vector<Batch> batches;
  while (auto batch = loader.next()) batches.push_back(std::move(*batch));
  return batches;
}

void expect_same_batches(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::equal(a[i].indices, b[i].indices)) << "batch " << i;
    EXPECT_TRUE(torch::equal(a[i].images, b[i].images)) << "batch " << i;
    EXPECT_TRUE(torch::equal(a[i].masks, b[i].masks)) << "batch " << i;
  }
}

std::vector<int64_t> indices_of(const std::vector<Batch>& batches) {
  std::vector<int64_t> all;
  for (const Batch& b : batches) {
    for (int64_t i = 0; i < b.indices.size(0); ++i) all.push_back(b.indices[i].item<int64_t>());
  }
  return all;
}

TEST_F(LoaderTest, EvalBatchesHoldTheFilesNormalisedInOrderWithTheLastBatch) {
  DataLoader loader(samples(), eval_options());
  EXPECT_EQ(loader.num_batches(), 3);
  const std::vector<Batch> batches = all_batches(loader);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[2].images.size(0), 2) << "the last, smaller batch is kept";
  EXPECT_EQ(indices_of(batches), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));

  const float mean[3] = {0.485f, 0.456f, 0.406f}, stdev[3] = {0.229f, 0.224f, 0.225f};
  for (const Batch& batch : batches) {
    EXPECT_EQ(batch.images.sizes(), (std::vector<int64_t>{batch.images.size(0), 3, 48, 64}));
    EXPECT_EQ(batch.images.scalar_type(), torch::kFloat32);
    EXPECT_EQ(batch.masks.scalar_type(), torch::kInt64);
    EXPECT_EQ(batch.masks.sizes(), (std::vector<int64_t>{batch.images.size(0), 48, 64}));
    auto images = batch.images.accessor<float, 4>();
    auto masks = batch.masks.accessor<int64_t, 3>();
    for (int64_t r = 0; r < batch.images.size(0); ++r) {
      const int64_t index = batch.indices[r].item<int64_t>();
      EXPECT_EQ(batch.ids[r], "photo" + std::to_string(index) + ".png");
      const cv::Mat& rgb = images_[index];
      const cv::Mat& mask = masks_[index];
      for (int y = 0; y < 48; y += 3) {
        for (int x = 0; x < 64; x += 3) {
          const bool inside = x < rgb.cols && y < rgb.rows;
          const int label = inside ? mask.at<uint8_t>(y, x) : 255;
          ASSERT_EQ(masks[r][y][x], label) << index << " " << x << "," << y;
          for (int c = 0; c < 3; ++c) {
            const int pixel = inside ? rgb.at<cv::Vec3b>(y, x)[c] : kMeanPadColor[c];
            const float expected = (pixel / 255.0f - mean[c]) / stdev[c];
            ASSERT_NEAR(images[r][c][y][x], expected, 1e-5);
          }
        }
      }
    }
  }
}

TEST_F(LoaderTest, DropLastDropsOnlyWhenAsked) {
  LoaderOptions o = eval_options();
  o.drop_last = true;
  DataLoader loader(samples(), o);
  EXPECT_EQ(loader.num_batches(), 2);
  EXPECT_EQ(all_batches(loader).size(), 2u);
}

TEST_F(LoaderTest, SameSeedGivesIdenticalBatchesWithAnyWorkerCount) {
  LoaderOptions one = train_options();
  one.workers = 1;
  one.prefetch_batches = 1;
  LoaderOptions three = train_options();
  three.workers = 3;
  three.prefetch_batches = 4;
  DataLoader a(samples(), one), b(samples(), three), c(samples(), three);
  const auto batches_a = all_batches(a);
  expect_same_batches(batches_a, all_batches(b));
  expect_same_batches(batches_a, all_batches(c));
  // And again from the same loader.
  a.rewind();
  expect_same_batches(batches_a, all_batches(a));
  ASSERT_EQ(batches_a.size(), 4u);
  EXPECT_EQ(batches_a[0].images.sizes(), (std::vector<int64_t>{3, 3, 24, 32}));
  std::vector<int64_t> order = indices_of(batches_a);
  std::sort(order.begin(), order.end());
  EXPECT_EQ(order, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST_F(LoaderTest, OtherSeedOrEpochGivesOtherBatches) {
  LoaderOptions o = train_options();
  DataLoader a(samples(), o);
  o.seed = 43;
  DataLoader b(samples(), o);
  const auto batches_a = all_batches(a);
  const auto batches_b = all_batches(b);
  EXPECT_NE(indices_of(batches_a), indices_of(batches_b));
  a.set_epoch(1);
  const auto epoch1 = all_batches(a);
  EXPECT_NE(indices_of(batches_a), indices_of(epoch1));
  a.set_epoch(0);
  expect_same_batches(batches_a, all_batches(a));
}

TEST_F(LoaderTest, TrainMasksHoldOnlyFileLabelsAndIgnore) {
  DataLoader loader(samples(), train_options());
  std::set<int64_t> file_labels;
  for (const cv::Mat& m : masks_)
    for (int y = 0; y < m.rows; ++y)
      for (int x = 0; x < m.cols; ++x) file_labels.insert(m.at<uint8_t>(y, x));
  for (const Batch& batch : all_batches(loader)) {
    const torch::Tensor unique = std::get<0>(torch::_unique(batch.masks));
    for (int64_t i = 0; i < unique.size(0); ++i) {
      EXPECT_TRUE(file_labels.count(unique[i].item<int64_t>())) << unique[i].item<int64_t>();
    }
  }
}

TEST_F(LoaderTest, ShardsAreDisjointEqualSizedAndCoverEverySample) {
  for (int world : {2, 3, 4}) {
    std::vector<int64_t> all;
    std::set<int64_t> seen;
    size_t expected_size = (kSamples + world - 1) / world;
    for (int rank = 0; rank < world; ++rank) {
      LoaderOptions o = eval_options();
      o.shuffle = true;
      o.seed = 9;
      o.world_size = world;
      o.rank = rank;
      DataLoader loader(samples(), o);
      const std::vector<int64_t> shard = indices_of(all_batches(loader));
      EXPECT_EQ(shard, loader.epoch_order(0));
      EXPECT_EQ(shard.size(), expected_size) << "world " << world;
      all.insert(all.end(), shard.begin(), shard.end());
      seen.insert(shard.begin(), shard.end());
    }
    EXPECT_EQ(seen.size(), size_t(kSamples)) << "world " << world;
    // Only the padding repeats samples: world * ceil(n / world) - n duplicates.
    EXPECT_EQ(all.size() - seen.size(), expected_size * world - kSamples) << "world " << world;
  }
}

TEST_F(LoaderTest, OversamplingFavoursHeavySamplesAndSkipsZeroWeights) {
  LoaderOptions o = eval_options();
  o.seed = 5;
  o.sample_weights.assign(kSamples, 1.0);
  o.sample_weights[2] = 10.0;  // "rare class" photos
  o.sample_weights[7] = 10.0;
  o.sample_weights[9] = 0.0;
  o.samples_per_epoch = 20000;
  DataLoader loader(samples(), o);
  std::map<int64_t, int> counts;
  for (int64_t i : loader.epoch_order(0)) ++counts[i];
  EXPECT_EQ(counts[9], 0);
  // Weights: 2 x 10, 7 x 1, 1 x 0; the flagged pair should get 20 / 27 = 0.741 of the
  // draws (binomial sd 0.003).
  const double flagged = (counts[2] + counts[7]) / 20000.0;
  EXPECT_NEAR(flagged, 20.0 / 27.0, 0.015);
  EXPECT_NEAR(counts[0] / 20000.0, 1.0 / 27.0, 0.006);
  // Deterministic for the seed, and the loader's batches follow the drawn order.
  EXPECT_EQ(loader.epoch_order(0), loader.epoch_order(0));
  EXPECT_NE(loader.epoch_order(0), loader.epoch_order(1));
  o.samples_per_epoch = 12;
  DataLoader small(samples(), o);
  EXPECT_EQ(indices_of(all_batches(small)), small.epoch_order(0));
}

// JPEG photos whose colour encodes the label, shrunk enough for reduced decoding.
TEST(LoaderJpeg, ReducedDecodeKeepsMasksAndAlignmentAndStaysDeterministic) {
  test::TempDir dir;
  const cv::Vec3b colors[4] = {{230, 40, 40}, {40, 200, 40}, {40, 40, 220}, {220, 220, 60}};
  const int labels[4] = {0, 5, 12, 33};
  std::vector<LoaderSample> list;
  for (int i = 0; i < 6; ++i) {
    const int w = 320 + 16 * i, h = 480;
    cv::Mat rgb(h, w, CV_8UC3), mask(h, w, CV_8UC1);
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const int k = (x / 64 + y / 64 + i) % 4;
        rgb.at<cv::Vec3b>(y, x) = colors[k];
        mask.at<uint8_t>(y, x) = static_cast<uint8_t>(labels[k]);
      }
    }
    const std::string stem = "jpeg" + std::to_string(i);
    write_jpeg(dir / (stem + ".jpg"), rgb, 95);
    write_png(dir / (stem + ".png"), mask, false);
    list.push_back({dir / (stem + ".jpg"), dir / (stem + ".png"), "", {}, false, {0, 0}});
  }
  LoaderOptions o;
  o.train = true;
  o.batch_size = 2;
  o.seed = 3;
  o.transform.resize = ResizeMode::kShortSide;
  o.transform.short_side = 64;  // 1/5 of the photo: decoded at 1/4
  o.transform.scale_min = 0.8;
  o.transform.scale_max = 1.2;
  o.transform.crop = {48, 64};
  o.transform.flip_probability = 0.5;
  DataLoader reduced(list, o);
  o.workers = 1;
  DataLoader reduced_one_worker(list, o);
  o.reduced_decode = false;
  DataLoader full(list, o);
  const auto a = collect_batches(reduced);
  const auto b = collect_batches(reduced_one_worker);
  const auto c = collect_batches(full);
  expect_same_batches(a, b);
  ASSERT_EQ(a.size(), c.size());
  const float mean[3] = {0.485f, 0.456f, 0.406f}, stdev[3] = {0.229f, 0.224f, 0.225f};
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::equal(a[i].masks, c[i].masks)) << "masks do not depend on the decode";
    const double difference = (a[i].images - c[i].images).abs().mean().item<double>();
    EXPECT_LT(difference, 0.1) << "normalised units, batch " << i;
    // Pixels inside label blocks (away from block borders, which blend) show their label's
    // colour, within JPEG's tolerance.
    auto images = a[i].images.accessor<float, 4>();
    auto masks = a[i].masks.accessor<int64_t, 3>();
    int checked = 0, matching = 0;
    for (int64_t r = 0; r < a[i].masks.size(0); ++r) {
      for (int y = 1; y < 63; ++y) {
        for (int x = 1; x < 47; ++x) {
          const int64_t label = masks[r][y][x];
          bool interior = label != 255;
          for (int dy = -1; dy <= 1; ++dy)
            for (int dx = -1; dx <= 1; ++dx) interior &= masks[r][y + dy][x + dx] == label;
          if (!interior) continue;
          const int k = static_cast<int>(std::find(labels, labels + 4, label) - labels);
          ASSERT_LT(k, 4) << "label " << label << " is not in the masks";
          double error = 0;
          for (int ch = 0; ch < 3; ++ch) {
            const double value = (images[r][ch][y][x] * stdev[ch] + mean[ch]) * 255.0;
            error = std::max(error, std::abs(value - colors[k][ch]));
          }
          ++checked;
          if (error < 30) ++matching;
        }
      }
    }
    EXPECT_GT(matching, 0.97 * checked) << "batch " << i;
  }
}

TEST(LoaderJpeg, SlightlyWrongMaskSizeIsCaughtWithReducedDecode) {
  // 320x480 photo, 318x480 mask: decoded at 1/4 both round up to 80x120, yet it is an error.
  test::TempDir dir;
  write_jpeg(dir / "photo.jpg", cv::Mat(480, 320, CV_8UC3, cv::Scalar(10, 20, 30)));
  write_png(dir / "mask.png", cv::Mat(480, 318, CV_8UC1, cv::Scalar(1)), false);
  LoaderOptions o;
  o.train = true;
  o.batch_size = 1;
  o.transform.resize = ResizeMode::kShortSide;
  o.transform.short_side = 64;
  o.transform.crop = {48, 64};
  DataLoader loader({{dir / "photo.jpg", dir / "mask.png", "", {}, false, {0, 0}}}, o);
  try {
    loader.next();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput);
    EXPECT_NE(std::string(e.what()).find("320x480"), std::string::npos) << e.what();
  }
}

TEST_F(LoaderTest, ChannelsLastHoldsTheSameValues) {
  LoaderOptions o = train_options();
  DataLoader plain(samples(), o);
  o.channels_last = true;
  DataLoader last(samples(), o);
  const auto a = all_batches(plain);
  const auto b = all_batches(last);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(b[i].images.is_contiguous(torch::MemoryFormat::ChannelsLast));
    EXPECT_TRUE(torch::equal(a[i].images, b[i].images));
  }
}

TEST_F(LoaderTest, RangeForAndInferenceWithoutMasks) {
  DataLoader loader(samples(/*with_masks=*/false), eval_options());
  int count = 0, rows = 0;
  for (Batch& batch : loader) {
    EXPECT_FALSE(batch.masks.defined());
    rows += static_cast<int>(batch.images.size(0));
    ++count;
  }
  EXPECT_EQ(count, 3);
  EXPECT_EQ(rows, kSamples);
  EXPECT_FALSE(loader.next().has_value()) << "the epoch stays finished";
}

TEST_F(LoaderTest, CorruptImageRaisesAnInputErrorThroughNext) {
  test::TempDir bad_dir;
  std::vector<LoaderSample> list = samples();
  const auto corrupt = bad_dir / "corrupt.jpg";
  std::ofstream(corrupt) << "\xFF\xD8\xFF this is not really a JPEG";
  list[5].image = corrupt;
  LoaderOptions o = eval_options();
  DataLoader loader(list, o);
  ASSERT_TRUE(loader.next().has_value()) << "batch 0 (samples 0-3) is fine";
  try {
    loader.next();
    FAIL() << "expected an error for the corrupt photo";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput);
    EXPECT_NE(std::string(e.what()).find("corrupt.jpg"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(loader.next().has_value());
  // A new epoch runs into the same file again rather than hanging.
  loader.rewind();
  loader.next();
  EXPECT_THROW(loader.next(), Error);
}

TEST_F(LoaderTest, MissingFileAndMismatchedMaskAreErrors) {
  std::vector<LoaderSample> list = samples();
  list[0].image = *dir_ / "nowhere.png";
  DataLoader missing(list, eval_options());
  EXPECT_THROW(missing.next(), Error);

  list = samples();
  list[1].mask = list[2].mask;  // a 44x32 mask for a 42x31 photo
  DataLoader mismatched(list, eval_options());
  try {
    mismatched.next();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput);
    EXPECT_NE(std::string(e.what()).find("photo2_mask.png"), std::string::npos) << e.what();
  }
}

TEST_F(LoaderTest, DifferentSizesInOneBatchWithoutCropIsAConfigError) {
  LoaderOptions o = eval_options();
  o.transform.crop = {0, 0};
  DataLoader loader(samples(), o);
  try {
    loader.next();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConfig);
  }
  o.batch_size = 1;  // any size is fine one at a time
  DataLoader single(samples(), o);
  EXPECT_EQ(all_batches(single).size(), size_t(kSamples));
}

TEST_F(LoaderTest, BadOptionsAreConfigErrors) {
  auto rejects = [&](auto change) {
    LoaderOptions o = eval_options();
    change(o);
    EXPECT_THROW(DataLoader(samples(), o), Error);
  };
  rejects([](LoaderOptions& o) { o.batch_size = 0; });
  rejects([](LoaderOptions& o) { o.workers = 0; });
  rejects([](LoaderOptions& o) { o.prefetch_batches = 0; });
  rejects([](LoaderOptions& o) { o.rank = 2, o.world_size = 2; });
  rejects([](LoaderOptions& o) { o.sample_weights = {1.0}; });
  rejects([](LoaderOptions& o) { o.sample_weights.assign(kSamples, 0.0); });
  rejects([](LoaderOptions& o) { o.transform.scale_min = -1; });
}

TEST_F(LoaderTest, APhotoWithoutAMaskAmongMaskedOnesGetsAnIgnoreMask) {
  std::vector<LoaderSample> mixed = samples();
  mixed[3].mask.clear();
  DataLoader loader(mixed, eval_options());
  const Batch batch = *loader.next();
  EXPECT_TRUE(batch.masks[3].eq(255).all().item<bool>());
  EXPECT_FALSE(batch.has_mask[3].item<bool>());
  EXPECT_TRUE(batch.has_mask[2].item<bool>());
  EXPECT_FALSE(batch.masks[2].eq(255).all().item<bool>());
}

TEST_F(LoaderTest, DestructionMidEpochDoesNotHang) {
  // Many samples, a small window: workers are blocked waiting for the consumer.
  std::vector<LoaderSample> many;
  for (int r = 0; r < 20; ++r) {
    auto list = samples();
    many.insert(many.end(), list.begin(), list.end());
  }
  LoaderOptions o = train_options();
  o.workers = 3;
  o.prefetch_batches = 2;
  {
    DataLoader loader(many, o);
    ASSERT_TRUE(loader.next().has_value());
  }
  {
    DataLoader loader(many, o);  // never started
  }
  {
    DataLoader loader(many, o);
    loader.next();
    loader.set_epoch(3);  // abandons the epoch in flight
    ASSERT_TRUE(loader.next().has_value());
  }
  SUCCEED();
}

}  // namespace
}  // namespace fashionseg
