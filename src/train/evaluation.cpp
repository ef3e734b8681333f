#include "fashionseg/evaluation.h"

#include <torch/torch.h>

#include "fashionseg/error.h"
#include "fashionseg/image_io.h"
#include "fashionseg/tensor_image.h"

namespace fashionseg {

torch::Tensor predict_logits(SegmentationModel& model, const torch::Tensor& images, bool flip_tta) {
  torch::NoGradGuard no_grad;
  model.eval();
  torch::Tensor logits = model.forward(images);
  if (flip_tta) {
    const torch::Tensor mirrored = model.forward(images.flip({3})).flip({3});
    logits = (logits + mirrored) * 0.5;
  }
  return logits;
}

EvaluationResult evaluate_model(SegmentationModel& model, DataLoader& loader, int num_classes,
                                const EvaluationOptions& options, Progress* progress) {
  EvaluationResult result{ConfusionMatrix(num_classes),
                          CategoryDetection(num_classes, options.min_area_fraction), 0};
  loader.rewind();
  if (progress) progress->start("evaluate", static_cast<size_t>(loader.num_batches()));
  while (auto batch = loader.next()) {
    if (!batch->masks.defined()) throw_config_error("evaluation needs masks for every photo");
    const torch::Tensor logits =
        predict_logits(model, batch->images.to(options.device), options.flip_tta);
    if (options.original_samples) {
      for (int64_t i = 0; i < logits.size(0); ++i) {
        const auto& sample = options.original_samples->at(batch->indices[i].item<int64_t>());
        const cv::Mat truth = read_label_mask(sample.mask);
        const cv::Size resized = resized_size(truth.size(), loader.options().transform);
        const torch::Tensor cut =
            logits[i].slice(1, 0, resized.height).slice(2, 0, resized.width).unsqueeze(0);
        const torch::Tensor full = torch::nn::functional::interpolate(
            cut, torch::nn::functional::InterpolateFuncOptions()
                     .size(std::vector<int64_t>{truth.rows, truth.cols})
                     .mode(torch::kBilinear)
                     .align_corners(false));
        const cv::Mat prediction = tensor_to_mask(full[0].argmax(0).to(torch::kCPU));
        result.matrix.add(truth, prediction);
        result.categories.add(truth, prediction);
        ++result.images;
      }
    } else {
      const torch::Tensor predicted = logits.argmax(1).to(torch::kCPU);
      for (int64_t i = 0; i < predicted.size(0); ++i) {
        const cv::Mat truth = tensor_to_mask(batch->masks[i]);
        const cv::Mat prediction = tensor_to_mask(predicted[i]);
        result.matrix.add(truth, prediction);
        result.categories.add(truth, prediction);
        ++result.images;
      }
    }
    if (progress) progress->advance(1);
  }
  if (progress) progress->finish();
  return result;
}

}  // namespace fashionseg
