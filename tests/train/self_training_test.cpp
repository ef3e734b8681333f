// Self-training primitives: category targets from masks, the masked multi-label loss against
// the textbook formula, tag filtering and the confidence threshold of pseudo-labels, the
// mean-teacher update, the teacher (which photos it labels, what it saves), and the ramp-up.
#include "train/self_training.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "fashionseg/core/error.h"

namespace fashionseg {
namespace {

TEST(CategoryTargets, AreaRuleOverNonIgnoredPixels) {
  // Photo 0: 100 pixels, class 2 has 10, class 3 has 1 (1%, below 2%). Photo 1: all ignored.
  torch::Tensor masks = torch::zeros({2, 10, 10}, torch::kLong);
  masks[0].slice(0, 0, 1).fill_(2);
  masks[0][5][5] = 3;
  masks[1].fill_(255);
  const torch::Tensor targets = category_targets_from_masks(masks, 5, 0.02);
  ASSERT_EQ(targets.sizes(), (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(targets[0][0].item<float>(), 0.f);  // background is never a category
  EXPECT_EQ(targets[0][2].item<float>(), 1.f);
  EXPECT_EQ(targets[0][3].item<float>(), 0.f);
  EXPECT_EQ(targets[1].sum().item<float>(), 0.f);
  // With half the photo ignored, class 3's one pixel is 2% of the rest.
  masks[0].slice(0, 5, 10).fill_(255);
  masks[0][4][4] = 3;
  EXPECT_EQ(category_targets_from_masks(masks, 5, 0.02)[0][3].item<float>(), 1.f);
}

TEST(CategoryLoss, MatchesTheBinaryCrossEntropyFormulaOnWeightedElements) {
  const torch::Tensor logits = torch::tensor({{3.0f, 0.5f, -1.0f}, {0.0f, 2.0f, 1.0f}});
  const torch::Tensor targets = torch::tensor({{1.0f, 1.0f, 0.0f}, {0.0f, 0.0f, 1.0f}});
  const torch::Tensor weights = torch::tensor({{1.0f, 1.0f, 1.0f}, {1.0f, 0.0f, 1.0f}});
  auto bce = [](double x, double y) {
    const double p = 1.0 / (1.0 + std::exp(-x));
    return -(y * std::log(p) + (1 - y) * std::log(1 - p));
  };
  // Column 0 never counts; (1,1) has weight 0: three elements remain.
  const double expected = (bce(0.5, 1) + bce(-1.0, 0) + bce(1.0, 1)) / 3.0;
  EXPECT_NEAR(category_loss(logits, targets, weights).item<double>(), expected, 1e-6);
  const torch::Tensor none =
      category_loss(logits.requires_grad_(), targets, torch::zeros_like(weights));
  EXPECT_EQ(none.item<float>(), 0.f);
  none.backward();  // still part of the graph
  EXPECT_TRUE(logits.grad().defined());
}

TEST(PseudoLabels, TagsExcludeUntaggedClassesAndRenormalise) {
  // One pixel per photo; class 2 wins the raw softmax, but photo 0 is tagged with class 1.
  torch::Tensor logits = torch::zeros({2, 4, 1, 1});
  logits[0][1][0][0] = 1.0;
  logits[0][2][0][0] = 3.0;
  logits[1] = logits[0].clone();
  const torch::Tensor tags = torch::tensor({{0.f, 1.f, 0.f, 0.f}, {0.f, 0.f, 0.f, 0.f}});
  const torch::Tensor has_tags = torch::tensor({true, false});
  const torch::Tensor labels = tag_filtered_pseudo_labels(logits, tags, has_tags, 0.0);
  EXPECT_EQ(labels[0][0][0].item<int64_t>(), 1);  // renormalised over {background, 1}
  EXPECT_EQ(labels[1][0][0].item<int64_t>(), 2);  // untagged: the plain winner
  // Renormalised, class 1 has e^1 / (1 + e^1) = 0.731: kept at 0.7, ignored at 0.75.
  EXPECT_EQ(tag_filtered_pseudo_labels(logits, tags, has_tags, 0.7)[0][0][0].item<int64_t>(), 1);
  EXPECT_EQ(tag_filtered_pseudo_labels(logits, tags, has_tags, 0.75)[0][0][0].item<int64_t>(), 255);
  // Untagged photo: class 2 has e^3 / (2 + e^1 + e^3) = 0.80.
  EXPECT_EQ(tag_filtered_pseudo_labels(logits, tags, has_tags, 0.79)[1][0][0].item<int64_t>(), 2);
  EXPECT_EQ(tag_filtered_pseudo_labels(logits, tags, has_tags, 0.81)[1][0][0].item<int64_t>(), 255);
}

TEST(PseudoLabels, ATaggedPhotoWithoutForegroundTagsBecomesBackground) {
  torch::Tensor logits = torch::randn({1, 5, 3, 3});
  const torch::Tensor labels =
      tag_filtered_pseudo_labels(logits, torch::zeros({1, 5}), torch::tensor({true}), 0.5);
  EXPECT_TRUE(labels.eq(0).all().item<bool>());
}

TEST(MeanTeacher, MovesParametersTowardTheStudentAndCopiesBuffers) {
  torch::nn::Sequential student(torch::nn::Linear(2, 2), torch::nn::BatchNorm1d(2));
  torch::nn::Sequential teacher(torch::nn::Linear(2, 2), torch::nn::BatchNorm1d(2));
  {
    torch::NoGradGuard no_grad;
    for (auto& p : student->parameters()) p.fill_(1.0);
    for (auto& p : teacher->parameters()) p.fill_(0.0);
    student[1]->named_buffers()["running_mean"].fill_(5.0);
  }
  ema_update(*teacher, *student, 0.9);
  for (const auto& p : teacher->parameters()) {
    EXPECT_TRUE(torch::allclose(p, torch::full_like(p, 0.1)));
  }
  ema_update(*teacher, *student, 0.9);
  for (const auto& p : teacher->parameters()) {
    EXPECT_TRUE(torch::allclose(p, torch::full_like(p, 0.19)));
  }
  EXPECT_TRUE(torch::allclose(teacher[1]->named_buffers()["running_mean"], torch::full({2}, 5.0)));
  torch::nn::Sequential other(torch::nn::Linear(2, 3));
  EXPECT_THROW(ema_update(*other, *student, 0.9), Error);
}

/// A teacher whose logits are the input's first channels (1x1 convolution with an identity
/// weight), so the pseudo-labels of a crafted input are known; it counts its forward passes.
class IdentityModel : public SegmentationModel {
 public:
  IdentityModel() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 3, 1)));
    torch::NoGradGuard no_grad;
    conv->weight.copy_(torch::eye(3).view({3, 3, 1, 1}));
    conv->bias.zero_();
  }
  ModelOutput forward_features(const torch::Tensor& images) override {
    ++batches_seen;
    rows_seen += images.size(0);
    ModelOutput output;
    output.out = conv(images);
    output.features = output.out;
    return output;
  }
  torch::nn::Conv2d conv{nullptr};
  int batches_seen = 0;
  int64_t rows_seen = 0;
};

TEST(Teacher, LabelsOnlyPhotosWithoutMasksAndFiltersByTheirTags) {
  auto model = std::make_shared<IdentityModel>();
  Teacher teacher(model, /*mean_teacher=*/false, /*flip=*/false);
  // Every pixel: class 2 wins clearly (logit 6 against 0 and 1).
  torch::Tensor images = torch::zeros({3, 3, 2, 2});
  images.select(1, 1).fill_(1.0);
  images.select(1, 2).fill_(6.0);
  const torch::Tensor tags = torch::tensor({{0.f, 0.f, 1.f}, {0.f, 1.f, 0.f}, {0.f, 0.f, 0.f}});
  const torch::Tensor has_tags = torch::tensor({true, true, false});
  const torch::Tensor has_mask = torch::tensor({false, false, true});
  const torch::Tensor labels = teacher.pseudo_labels(images, tags, has_tags, has_mask, 0.5, true);
  ASSERT_EQ(labels.sizes(), (std::vector<int64_t>{3, 2, 2}));
  EXPECT_TRUE(labels[0].eq(2).all().item<bool>());    // tagged with the winner
  EXPECT_TRUE(labels[1].eq(1).all().item<bool>());    // class 2 is not tagged: class 1
  EXPECT_TRUE(labels[2].eq(255).all().item<bool>());  // has a mask: learns from it alone
  EXPECT_EQ(model->rows_seen, 2);                     // the masked photo was not run
  // Without the filter the untagged winner comes back.
  EXPECT_TRUE(teacher.pseudo_labels(images, tags, has_tags, has_mask, 0.5, false)[1]
                  .eq(2)
                  .all()
                  .item<bool>());
  // A batch of masked photos only costs nothing.
  const int before = model->batches_seen;
  EXPECT_TRUE(
      teacher.pseudo_labels(images, tags, has_tags, torch::ones({3}, torch::kBool), 0.5, true)
          .eq(255)
          .all()
          .item<bool>());
  EXPECT_EQ(model->batches_seen, before);
}

TEST(Teacher, AMeanTeacherTravelsInTheTrainingStateAndAFixedOneDoesNot) {
  auto student = std::make_shared<IdentityModel>();
  auto model = std::make_shared<IdentityModel>();
  Teacher mean(model, /*mean_teacher=*/true, /*flip=*/true);
  {
    torch::NoGradGuard no_grad;
    student->conv->bias.fill_(1.0);
  }
  mean.follow(*student, 0.5);
  EXPECT_TRUE(torch::allclose(model->conv->bias, torch::full({3}, 0.5)));
  TrainingState state;
  mean.save(state);
  ASSERT_EQ(state.tensors.count("teacher/conv.bias"), 1u);
  auto restored_model = std::make_shared<IdentityModel>();
  Teacher restored(restored_model, true, true);
  restored.restore(state, "run/last.fsm");
  EXPECT_TRUE(torch::allclose(restored_model->conv->bias, torch::full({3}, 0.5)));
  EXPECT_THROW(restored.restore(TrainingState{}, "run/last.fsm"), Error);

  auto fixed_model = std::make_shared<IdentityModel>();
  Teacher fixed(fixed_model, /*mean_teacher=*/false, /*flip=*/false);
  fixed.follow(*student, 0.5);
  EXPECT_TRUE(torch::allclose(fixed_model->conv->bias, torch::zeros({3})));
  TrainingState nothing;
  fixed.save(nothing);
  EXPECT_TRUE(nothing.empty());
}

TEST(Rampup, SigmoidShapeFromZeroToTheMaximum) {
  EXPECT_NEAR(rampup_weight(0, 100, 2.0), 2.0 * std::exp(-5.0), 1e-12);
  EXPECT_NEAR(rampup_weight(50, 100, 2.0), 2.0 * std::exp(-1.25), 1e-12);
  EXPECT_EQ(rampup_weight(100, 100, 2.0), 2.0);
  EXPECT_EQ(rampup_weight(500, 100, 2.0), 2.0);
  EXPECT_EQ(rampup_weight(3, 0, 1.5), 1.5);
}

}  // namespace
}  // namespace fashionseg
