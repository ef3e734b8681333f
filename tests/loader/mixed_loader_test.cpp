// The loader with photos that have no mask: per-row supervision (has_mask, tags, has_tags),
// mixed batches at a fixed count per batch, determinism, the unmasked pool cycling, weak and
// strong views of the same geometry, reduced decodes from the index's size, and bad options.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <set>

#include "fashionseg/core/error.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/torch/data_loader.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

constexpr int kMasked = 6, kUnmasked = 4, kClasses = 5;

// 6 masked PNG photos (labels 0..4 in blocks) and 4 JPEG photos without masks; unmasked
// photos 0 and 1 are tagged ({2, 4} and nothing), 2 and 3 are not.
class MixedLoaderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    for (int i = 0; i < kMasked + kUnmasked; ++i) {
      const int w = 64, h = 48;
      cv::Mat rgb(h, w, CV_8UC3), mask(h, w, CV_8UC1);
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          rgb.at<cv::Vec3b>(y, x) = cv::Vec3b((x * 4 + i * 20) % 256, (y * 5) % 256, 40 + i * 15);
          mask.at<uint8_t>(y, x) = static_cast<uint8_t>((x / 16 + y / 16 + i) % kClasses);
        }
      }
      const std::string stem = "p" + std::to_string(i);
      if (i < kMasked) {
        write_png(*dir_ / (stem + ".png"), rgb);
        write_png(*dir_ / (stem + "_mask.png"), mask, false);
      } else {
        write_jpeg(*dir_ / (stem + ".jpg"), rgb, 95);
      }
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static std::vector<LoaderSample> samples() {
    std::vector<LoaderSample> list;
    for (int i = 0; i < kMasked + kUnmasked; ++i) {
      const std::string stem = "p" + std::to_string(i);
      LoaderSample sample;
      if (i < kMasked) {
        sample.image = *dir_ / (stem + ".png");
        sample.mask = *dir_ / (stem + "_mask.png");
      } else {
        sample.image = *dir_ / (stem + ".jpg");
        sample.size = {64, 48};
        sample.has_tags = i - kMasked < 2;
        if (i - kMasked == 0) sample.tags = {2, 4};
      }
      list.push_back(sample);
    }
    return list;
  }

  static LoaderOptions options() {
    LoaderOptions o;
    o.train = true;
    o.shuffle = true;
    o.batch_size = 4;
    o.unmasked_per_batch = 1;
    o.num_classes = kClasses;
    o.workers = 2;
    o.seed = 7;
    o.transform.resize = ResizeMode::kFitBox;
    o.transform.box = {32, 24};
    o.transform.crop = {32, 24};
    o.transform.scale_min = 1.0;  // no padding: masked rows hold labels only
    o.transform.scale_max = 1.5;
    o.transform.flip_probability = 0.5;
    return o;
  }

  static std::vector<Batch> all_batches(DataLoader& loader) {
    std::vector<Batch> batches;
    while (auto batch = loader.next()) batches.push_back(std::move(*batch));
    return batches;
  }

  static test::TempDir* dir_;
};

test::TempDir* MixedLoaderTest::dir_ = nullptr;

TEST_F(MixedLoaderTest, BatchesMixAtTheSetCountAndSaySupervisionPerRow) {
  DataLoader loader(samples(), options());
  EXPECT_EQ(loader.num_batches(), 2);  // 6 masked photos, 3 per batch
  const auto batches = all_batches(loader);
  ASSERT_EQ(batches.size(), 2u);
  std::multiset<int64_t> masked_seen;
  for (const Batch& batch : batches) {
    ASSERT_EQ(batch.images.sizes(), (std::vector<int64_t>{4, 3, 24, 32}));
    ASSERT_EQ(batch.masks.sizes(), (std::vector<int64_t>{4, 24, 32}));
    ASSERT_EQ(batch.tags.sizes(), (std::vector<int64_t>{4, kClasses}));
    EXPECT_EQ(batch.tags.scalar_type(), torch::kFloat32);
    EXPECT_EQ(batch.has_mask.scalar_type(), torch::kBool);
    EXPECT_EQ(batch.has_tags.scalar_type(), torch::kBool);
    EXPECT_FALSE(batch.strong_images.defined());
    EXPECT_EQ(batch.has_mask.sum().item<int64_t>(), 3);
    for (int64_t row = 0; row < 4; ++row) {
      const int64_t index = batch.indices[row].item<int64_t>();
      const bool masked = index < kMasked;
      EXPECT_EQ(batch.has_mask[row].item<bool>(), masked);
      EXPECT_EQ(row < 3, masked) << "masked photos first, then the unmasked one";
      if (masked) {
        masked_seen.insert(index);
        EXPECT_LT(batch.masks[row].max().item<int64_t>(), kClasses);
        EXPECT_FALSE(batch.has_tags[row].item<bool>());
      } else {
        EXPECT_TRUE(batch.masks[row].eq(255).all().item<bool>()) << "ignore everywhere";
        const int u = static_cast<int>(index) - kMasked;
        EXPECT_EQ(batch.has_tags[row].item<bool>(), u < 2);
        torch::Tensor expected = torch::zeros({kClasses});
        if (u == 0) expected.index_put_({torch::tensor({2, 4})}, 1.0);
        EXPECT_TRUE(torch::equal(batch.tags[row], expected)) << batch.tags[row];
      }
    }
  }
  EXPECT_EQ(masked_seen.size(), 6u);
  EXPECT_EQ(std::set<int64_t>(masked_seen.begin(), masked_seen.end()).size(), 6u)
      << "an epoch visits each masked photo once";
}

TEST_F(MixedLoaderTest, SameSeedSameBatchesWithAnyWorkerCountAndTheSmallPoolCycles) {
  LoaderOptions o = options();
  o.batch_size = 3;
  o.unmasked_per_batch = 2;  // 6 batches of 1 masked + 2 unmasked: 12 draws from a pool of 4
  o.workers = 1;
  DataLoader one(samples(), o);
  o.workers = 3;
  DataLoader three(samples(), o);
  const auto a = all_batches(one), b = all_batches(three);
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), 6u);
  std::map<int64_t, int> unmasked_count;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::equal(a[i].indices, b[i].indices));
    EXPECT_TRUE(torch::equal(a[i].images, b[i].images));
    EXPECT_TRUE(torch::equal(a[i].masks, b[i].masks));
    for (int64_t row = 1; row < 3; ++row) ++unmasked_count[a[i].indices[row].item<int64_t>()];
  }
  ASSERT_EQ(unmasked_count.size(), 4u);
  for (const auto& [index, count] : unmasked_count) EXPECT_EQ(count, 3) << index;
  one.set_epoch(1);
  const auto next_epoch = all_batches(one);
  bool differs = false;
  for (size_t i = 0; i < a.size(); ++i) {
    differs = differs || !torch::equal(next_epoch[i].indices, a[i].indices);
  }
  EXPECT_TRUE(differs) << "another epoch, another order";
}

// 0..255 pixel values of a normalised row.
torch::Tensor pixels(const torch::Tensor& row) {
  const Normalization n;
  const auto mean = torch::tensor({n.mean[0], n.mean[1], n.mean[2]}).view({3, 1, 1});
  const auto std = torch::tensor({n.std[0], n.std[1], n.std[2]}).view({3, 1, 1});
  return ((row * std + mean) * 255.0).round();
}

TEST_F(MixedLoaderTest, TwoViewsShareTheGeometryAndDifferInAppearance) {
  LoaderOptions o = options();
  o.two_views = true;
  o.transform.zoom.probability = 0.5;
  o.transform.appearance.grayscale = 1.0;  // the strong view is the weak one in grey
  o.transform.cutout = 0;
  DataLoader loader(samples(), o);
  int unmasked_rows = 0;
  for (const Batch& batch : all_batches(loader)) {
    ASSERT_TRUE(batch.strong_images.defined());
    ASSERT_EQ(batch.strong_images.sizes(), batch.images.sizes());
    for (int64_t row = 0; row < batch.images.size(0); ++row) {
      if (batch.has_mask[row].item<bool>()) {
        EXPECT_TRUE(torch::equal(batch.images[row], batch.strong_images[row]));
        continue;
      }
      ++unmasked_rows;
      const torch::Tensor weak = pixels(batch.images[row]);
      const torch::Tensor strong = pixels(batch.strong_images[row]);
      EXPECT_FALSE(torch::allclose(weak[0], weak[2])) << "the weak view keeps its colours";
      const torch::Tensor luma = (0.299 * weak[0] + 0.587 * weak[1] + 0.114 * weak[2]);
      EXPECT_LE((strong[0] - luma).abs().max().item<double>(), 1.01);
      EXPECT_TRUE(torch::equal(strong[0], strong[1]));
    }
  }
  EXPECT_EQ(unmasked_rows, 2);

  // Cutouts show in the strong view only.
  o.transform.appearance = {};
  o.transform.cutout = 2;
  DataLoader cut(samples(), o);
  for (const Batch& batch : all_batches(cut)) {
    const torch::Tensor row = batch.has_mask.logical_not().nonzero()[0][0];
    const torch::Tensor differs =
        (batch.images[row.item<int64_t>()] - batch.strong_images[row.item<int64_t>()])
            .abs()
            .sum(0) > 1e-6;
    const double share = differs.to(torch::kFloat32).mean().item<double>();
    EXPECT_GT(share, 0.005);
    EXPECT_LT(share, 0.35);
  }
}

TEST_F(MixedLoaderTest, UnmaskedPhotosDecodeReducedFromTheIndexSizeOrFull) {
  LoaderOptions o = options();
  o.train = false;
  o.shuffle = false;
  o.unmasked_per_batch = 0;
  o.batch_size = 10;
  o.transform.scale_min = o.transform.scale_max = 1.0;
  std::vector<LoaderSample> list = samples();
  DataLoader known(list, o);
  for (auto& sample : list) sample.size = {0, 0};
  DataLoader unknown(list, o);
  const Batch a = *known.next(), b = *unknown.next();
  EXPECT_TRUE(a.has_mask.slice(0, 0, kMasked).all().item<bool>());
  EXPECT_FALSE(a.has_mask.slice(0, kMasked).any().item<bool>());
  // Half-size decode versus full decode plus resize: close, not equal.
  EXPECT_LT((a.images - b.images).abs().mean().item<double>(), 0.1);
  list = samples();
  list[kMasked].size = {65, 48};
  DataLoader wrong(list, o);
  try {
    wrong.next();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the index says 65x48"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("p6.jpg"), std::string::npos) << e.what();
  }
}

TEST_F(MixedLoaderTest, BadOptionsAreConfigErrors) {
  auto rejects = [](const std::vector<LoaderSample>& list, auto change) {
    LoaderOptions o = options();
    change(o);
    EXPECT_THROW(DataLoader(list, o), Error);
  };
  rejects(samples(), [](LoaderOptions& o) { o.unmasked_per_batch = 4; });
  rejects(samples(), [](LoaderOptions& o) { o.unmasked_per_batch = -1; });
  rejects(samples(), [](LoaderOptions& o) { o.num_classes = 4; });  // tag 4 is outside
  rejects(samples(), [](LoaderOptions& o) { o.two_views = true, o.train = false; });
  std::vector<LoaderSample> masked_only = samples();
  masked_only.resize(kMasked);
  rejects(masked_only, [](LoaderOptions&) {});
  LoaderOptions o = options();
  o.unmasked_per_batch = 0;
  EXPECT_NO_THROW(DataLoader(masked_only, o));
}

}  // namespace
}  // namespace fashionseg
