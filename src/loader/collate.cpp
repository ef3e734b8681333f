#include "loader/collate.h"

#include <torch/torch.h>

namespace fashionseg {
namespace {

// Channels-last rows are interleaved HWC floats: the same per-pixel map as
// image_to_tensor_into, written without de-interleaving.
void write_hwc(const cv::Mat& rgb, const Normalization& norm, float* out) {
  float scale[3], shift[3];
  for (int c = 0; c < 3; ++c) {
    scale[c] = 1.0f / (255.0f * norm.std[c]);
    shift[c] = -norm.mean[c] / norm.std[c];
  }
  const int w = rgb.cols;
  for (int y = 0; y < rgb.rows; ++y) {
    const uint8_t* in = rgb.ptr<uint8_t>(y);
    float* row = out + static_cast<size_t>(y) * w * 3;
    for (int x = 0; x < w; ++x) {
      for (int c = 0; c < 3; ++c) row[3 * x + c] = in[3 * x + c] * scale[c] + shift[c];
    }
  }
}

}  // namespace

void write_image_row(const cv::Mat& rgb, const Normalization& norm, torch::Tensor& images,
                     int64_t row) {
  if (images.is_contiguous()) {
    image_to_tensor_into(rgb, norm, images[row]);
    return;
  }
  TORCH_CHECK(images.is_contiguous(torch::MemoryFormat::ChannelsLast),
              "write_image_row: images must be contiguous NCHW or channels-last");
  TORCH_CHECK(rgb.type() == CV_8UC3 && images.size(2) == rgb.rows && images.size(3) == rgb.cols,
              "write_image_row: image size differs from the batch");
  write_hwc(rgb, norm, images.data_ptr<float>() + row * images.stride(0));
}

void write_mask_row(const cv::Mat& mask, torch::Tensor& masks, int64_t row) {
  TORCH_CHECK(mask.type() == CV_8UC1 && masks.is_contiguous() && masks.size(1) == mask.rows &&
                  masks.size(2) == mask.cols,
              "write_mask_row: mask size differs from the batch");
  int64_t* out = masks.data_ptr<int64_t>() + row * masks.stride(0);
  for (int y = 0; y < mask.rows; ++y) {
    const uint8_t* in = mask.ptr<uint8_t>(y);
    int64_t* line = out + static_cast<size_t>(y) * mask.cols;
    for (int x = 0; x < mask.cols; ++x) line[x] = in[x];
  }
}

}  // namespace fashionseg
