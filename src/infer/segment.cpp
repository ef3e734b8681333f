#include "fashionseg/segment.h"

#include <torch/torch.h>

#include "fashionseg/evaluation.h"
#include "fashionseg/tensor_image.h"
#include "fashionseg/transforms.h"

namespace fashionseg {

torch::Tensor segment_logits(SegmentationModel& model, const cv::Mat& rgb,
                             const Preprocessing& preprocessing, const SegmentOptions& options) {
  TransformOptions transform;
  if (preprocessing.input_height > 0 && preprocessing.input_width > 0) {
    transform.resize = ResizeMode::kFitBox;
    transform.box = cv::Size(static_cast<int>(preprocessing.input_width),
                             static_cast<int>(preprocessing.input_height));
  }
  const cv::Size resized = resized_size(rgb.size(), transform);
  const ImageMask input = eval_transform(ImageMask{rgb, cv::Mat()}, transform);
  const torch::Tensor batch =
      image_to_tensor(input.image, preprocessing.normalization).unsqueeze(0).to(options.device);
  const torch::Tensor logits = predict_logits(model, batch, options.flip_tta);
  const torch::Tensor cut =
      logits.slice(2, 0, resized.height).slice(3, 0, resized.width).to(torch::kCPU);
  return torch::nn::functional::interpolate(cut, torch::nn::functional::InterpolateFuncOptions()
                                                     .size(std::vector<int64_t>{rgb.rows, rgb.cols})
                                                     .mode(torch::kBilinear)
                                                     .align_corners(false))[0];
}

cv::Mat segment_image(SegmentationModel& model, const cv::Mat& rgb,
                      const Preprocessing& preprocessing, const SegmentOptions& options) {
  return tensor_to_mask(segment_logits(model, rgb, preprocessing, options).argmax(0));
}

}  // namespace fashionseg
