// upsampled_argmax (src/infer/upsampled_argmax.h) against its reference: LibTorch's bilinear
// F::interpolate (align_corners=false) of the logits to the output size, then argmax over the
// classes and softmax's maximum.
#include "infer/upsampled_argmax.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>

namespace fashionseg {
namespace {

namespace F = torch::nn::functional;

torch::Tensor reference_resize(const torch::Tensor& logits, cv::Size size) {
  return F::interpolate(logits.unsqueeze(0),
                        F::InterpolateFuncOptions()
                            .size(std::vector<int64_t>{size.height, size.width})
                            .mode(torch::kBilinear)
                            .align_corners(false))[0];
}

torch::Tensor as_tensor(const cv::Mat& mat, torch::ScalarType type) {
  return torch::from_blob(mat.data, {mat.rows, mat.cols}, type).clone();
}

/// Compares with the reference on pixels whose two best resized logits are at least `margin`
/// apart (elsewhere a last-bit rounding difference may pick the other class): all must agree,
/// and at most 0.1% of pixels may lie under the margin.
void expect_like_reference(const torch::Tensor& logits, cv::Size size) {
  const UpsampledArgmax ours = upsampled_argmax(logits, size, WinnerProbability::kAll);
  ASSERT_EQ(ours.labels.size(), size);
  const torch::Tensor resized = reference_resize(logits, size);
  const auto top2 = std::get<0>(resized.topk(2, 0));
  const torch::Tensor clear = (top2[0] - top2[1]) > 1e-4;
  const torch::Tensor labels = as_tensor(ours.labels, torch::kUInt8).to(torch::kLong);
  const torch::Tensor agree = labels.eq(resized.argmax(0));
  EXPECT_TRUE(agree.masked_select(clear).all().item<bool>())
      << (~agree & clear).sum().item<int64_t>() << " clear pixels differ at " << size;
  EXPECT_LE(1.0 - clear.to(torch::kFloat).mean().item<double>(), 1e-3);
  const torch::Tensor probability = as_tensor(ours.probability, torch::kFloat);
  const torch::Tensor expected = std::get<0>(resized.softmax(0).max(0));
  EXPECT_LE((probability - expected).abs().max().item<double>(), 1e-5) << size;
}

TEST(UpsampledArgmax, EqualsInterpolateThenArgmaxUpDownAndUneven) {
  torch::manual_seed(3);
  const torch::Tensor logits = torch::randn({27, 48, 32}) * 4;
  expect_like_reference(logits, {550 / 4, 832 / 4});       // up, a non-integer factor
  expect_like_reference(logits, {96, 64});                 // up 2x
  expect_like_reference(logits, {20, 31});                 // down
  expect_like_reference(logits, {32, 100});                // narrower, taller
  expect_like_reference(torch::randn({3, 1, 1}), {5, 7});  // one source pixel
}

TEST(UpsampledArgmax, SameSizeIsThePlainArgmaxExactly) {
  torch::manual_seed(4);
  const torch::Tensor logits = torch::randn({12, 40, 56});
  const UpsampledArgmax ours = upsampled_argmax(logits, {56, 40}, WinnerProbability::kNone);
  EXPECT_TRUE(as_tensor(ours.labels, torch::kUInt8).to(torch::kLong).equal(logits.argmax(0)));
  EXPECT_TRUE(ours.probability.empty());
}

TEST(UpsampledArgmax, TiesGoToTheLowestClassAsTorchArgmax) {
  torch::Tensor logits = torch::zeros({4, 3, 3});
  logits[2].fill_(1.0);
  logits[3].fill_(1.0);
  const UpsampledArgmax ours = upsampled_argmax(logits, {6, 6}, WinnerProbability::kNone);
  EXPECT_EQ(cv::countNonZero(ours.labels != 2), 0);
  EXPECT_EQ(logits.argmax(0)[0][0].item<int64_t>(), 2);
}

TEST(UpsampledArgmax, ReadsStridedCutsAndForegroundOnlyProbabilities) {
  torch::manual_seed(5);
  // A cut of a padded canvas, as the engine passes it: not contiguous, unit stride along w.
  const torch::Tensor canvas = torch::randn({5, 30, 40});
  const torch::Tensor cut = canvas.slice(1, 0, 22).slice(2, 0, 33);
  ASSERT_FALSE(cut.is_contiguous());
  const UpsampledArgmax strided = upsampled_argmax(cut, {70, 50}, WinnerProbability::kForeground);
  const UpsampledArgmax copied =
      upsampled_argmax(cut.contiguous(), {70, 50}, WinnerProbability::kAll);
  EXPECT_EQ(cv::countNonZero(strided.labels != copied.labels), 0);
  const cv::Mat background = strided.labels == 0;
  ASSERT_GT(cv::countNonZero(background), 0);
  ASSERT_LT(cv::countNonZero(background), 70 * 50);
  cv::Mat difference;
  cv::absdiff(strided.probability, copied.probability, difference);
  double largest = 0.0;
  cv::minMaxLoc(difference, nullptr, &largest, nullptr, nullptr, ~background);
  EXPECT_EQ(largest, 0.0);
  cv::Mat background_probability = cv::Mat::zeros(strided.probability.size(), CV_32FC1);
  strided.probability.copyTo(background_probability, background);
  EXPECT_EQ(cv::countNonZero(background_probability), 0);
}

TEST(UpsampledArgmax, RefusesWhatItCannotRead) {
  EXPECT_THROW(upsampled_argmax(torch::zeros({2, 3}), {4, 4}, WinnerProbability::kNone),
               std::invalid_argument);
  EXPECT_THROW(
      upsampled_argmax(torch::zeros({2, 3, 3}, torch::kDouble), {4, 4}, WinnerProbability::kNone),
      std::invalid_argument);
  EXPECT_THROW(upsampled_argmax(torch::zeros({257, 3, 3}), {4, 4}, WinnerProbability::kNone),
               std::invalid_argument);
  EXPECT_THROW(
      upsampled_argmax(torch::zeros({2, 3, 3}).transpose(1, 2), {4, 4}, WinnerProbability::kNone),
      std::invalid_argument);
  EXPECT_THROW(upsampled_argmax(torch::zeros({2, 3, 3}), {0, 4}, WinnerProbability::kNone),
               std::invalid_argument);
}

}  // namespace
}  // namespace fashionseg
