#pragma once
/// Counting the multiply-adds (MACs) of a forward pass, for the GFLOPs column of
/// `fashionseg models`. Convention (as in torchvision's model tables): one multiply-add counts
/// as one FLOP; only convolutions (incl. transposed and grouped/depthwise) and matrix
/// products are counted — BatchNorm, activations, pooling and resizing are not.

#include <cstdint>
#include <functional>

#include "fashionseg/torch/model.h"

namespace fashionseg {

/// Multiply-adds by kind of operation.
struct MacCount {
  int64_t convolution = 0;  ///< aten::convolution (Conv1d/2d/3d, ConvTranspose, depthwise)
  int64_t matmul = 0;       ///< aten::mm, addmm, bmm, baddbmm (Linear, matmul)
  /// All counted multiply-adds.
  int64_t total() const { return convolution + matmul; }
};

/// Counts the multiply-adds of the operators that `forward` runs on the calling thread (LibTorch
/// RecordFunction callbacks read each operator's input shapes; nothing is timed). Not
/// reentrant: calls must not nest.
MacCount count_macs(const std::function<void()>& forward);

/// True while count_macs runs on the calling thread. Shortcuts that skip work the nominal
/// operator would do (dilated convolutions skipping their padding-only taps) run the plain
/// operator then, so counts stay the nominal ones that torchvision's tables report.
bool counting_macs();

/// Multiply-adds of one forward pass of `model` on a [1, 3, height, width] input, in eval mode
/// without gradients (the model's training flag is restored afterwards). Aux heads count when
/// the model was built with one. height, width >= 1, else Error(kConfig).
MacCount count_model_macs(SegmentationModel& model, int64_t height, int64_t width);

}  // namespace fashionseg
