#include "fashionseg/torch/tensor_image.h"

#include <torch/torch.h>

#include "fashionseg/core/error.h"

namespace fashionseg {

void image_to_tensor_into(const cv::Mat& rgb, const Normalization& norm, torch::Tensor out) {
  if (rgb.type() != CV_8UC3) throw_input_error("expected an 8-bit RGB image");
  const int h = rgb.rows, w = rgb.cols;
  TORCH_CHECK(out.is_contiguous() && out.scalar_type() == torch::kFloat32 && out.dim() == 3 &&
                  out.size(0) == 3 && out.size(1) == h && out.size(2) == w,
              "image_to_tensor_into: output must be a contiguous float [3,H,W] tensor");
  float* plane[3] = {out.data_ptr<float>(), out.data_ptr<float>() + h * w,
                     out.data_ptr<float>() + 2 * h * w};
  float scale[3], shift[3];
  for (int c = 0; c < 3; ++c) {
    scale[c] = 1.0f / (255.0f * norm.std[c]);
    shift[c] = -norm.mean[c] / norm.std[c];
  }
  for (int y = 0; y < h; ++y) {
    const uint8_t* row = rgb.ptr<uint8_t>(y);
    const int offset = y * w;
    for (int x = 0; x < w; ++x) {
      for (int c = 0; c < 3; ++c) plane[c][offset + x] = row[3 * x + c] * scale[c] + shift[c];
    }
  }
}

torch::Tensor image_to_tensor(const cv::Mat& rgb, const Normalization& norm) {
  if (rgb.type() != CV_8UC3) throw_input_error("expected an 8-bit RGB image");
  torch::Tensor out = torch::empty({3, rgb.rows, rgb.cols}, torch::kFloat32);
  image_to_tensor_into(rgb, norm, out);
  return out;
}

torch::Tensor mask_to_tensor(const cv::Mat& mask) {
  if (mask.type() != CV_8UC1) throw_input_error("expected an 8-bit single-channel mask");
  cv::Mat contiguous = mask.isContinuous() ? mask : mask.clone();
  return torch::from_blob(contiguous.data, {mask.rows, mask.cols}, torch::kUInt8).to(torch::kInt64);
}

cv::Mat tensor_to_mask(const torch::Tensor& labels) {
  TORCH_CHECK(labels.dim() == 2, "tensor_to_mask: expected [H,W] labels");
  torch::Tensor bytes = labels.to(torch::kCPU).clamp(0, 255).to(torch::kUInt8).contiguous();
  cv::Mat mask(static_cast<int>(bytes.size(0)), static_cast<int>(bytes.size(1)), CV_8UC1);
  std::memcpy(mask.data, bytes.data_ptr<uint8_t>(), bytes.numel());
  return mask;
}

}  // namespace fashionseg
