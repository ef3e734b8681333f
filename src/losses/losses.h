#pragma once
/// Segmentation losses and their registry. Every loss takes logits [B,C,H,W] and integer
/// targets [B,H,W] (int64, values 0..C-1 or the ignore index) and returns a scalar; ignored
/// pixels contribute nothing, to the value or to the gradient.

#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

namespace fashionseg {

/// Settings shared by the losses (each reads the fields it needs).
struct LossOptions {
  /// Per-class weights for cross-entropy (empty = unweighted). Size must equal C.
  std::vector<float> class_weights;
  /// Target value that is not trained on.
  int64_t ignore_index = 255;
  /// Cross-entropy label smoothing in [0, 1).
  double label_smoothing = 0.0;
  /// Focal loss focusing parameter gamma >= 0 (0 = cross-entropy).
  double focal_gamma = 2.0;
  /// Focal loss per-class alpha (empty = 1 for every class). Size must equal C.
  std::vector<float> focal_alpha;
  /// Additive smoothing of the soft Dice ratio (keeps it finite for absent classes).
  double dice_smooth = 1.0;
};

/// A loss function.
class Loss {
 public:
  virtual ~Loss() = default;
  /// Scalar loss of logits [B,C,H,W] against targets [B,H,W].
  virtual torch::Tensor operator()(const torch::Tensor& logits, const torch::Tensor& target) = 0;
  /// The spec that built this loss (e.g. "ce+0.5*dice").
  virtual std::string name() const = 0;
};

/// Builds a loss from a spec: terms joined by '+', each "[weight*]name" with name one of
/// ce, focal, dice, gdice, lovasz (e.g. "ce", "ce+dice", "0.5*focal+lovasz"). Throws
/// Error(kConfig) for an unknown name (listing the valid ones), bad weights, or class-weight /
/// alpha vectors whose size disagrees with num_classes.
std::unique_ptr<Loss> create_loss(const std::string& spec, const LossOptions& options,
                                  int64_t num_classes);

/// The loss names create_loss accepts, with one-line descriptions.
std::vector<std::pair<std::string, std::string>> list_losses();

// The individual losses (functional form).

/// Cross-entropy with optional class weights, ignore index and label smoothing; the mean over
/// non-ignored pixels (weighted by their class weights, as torch's cross_entropy does).
torch::Tensor cross_entropy_loss(const torch::Tensor& logits, const torch::Tensor& target,
                                 const LossOptions& options);

/// Focal loss (Lin et al.): mean over non-ignored pixels of -alpha_t (1 - p_t)^gamma log p_t.
torch::Tensor focal_loss(const torch::Tensor& logits, const torch::Tensor& target,
                         const LossOptions& options);

/// Soft Dice loss: 1 - mean over classes present in the batch's targets of
/// (2 sum p*y + s) / (sum p + sum y + s). Returns 0 (with a gradient) when every pixel is
/// ignored.
torch::Tensor soft_dice_loss(const torch::Tensor& logits, const torch::Tensor& target,
                             const LossOptions& options);

/// Generalised Dice loss (Sudre et al.) with w_c = 1 / (sum y_c)^2 for classes present and
/// w_c = 0 for absent ones (the original formula divides by zero there).
torch::Tensor generalized_dice_loss(const torch::Tensor& logits, const torch::Tensor& target,
                                    const LossOptions& options);

/// Lovász-softmax loss (Berman et al.), over the whole batch, averaged over classes present in
/// the targets.
torch::Tensor lovasz_softmax_loss(const torch::Tensor& logits, const torch::Tensor& target,
                                  const LossOptions& options);

}  // namespace fashionseg
