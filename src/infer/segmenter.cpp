// The library's Segmenter: loads a checkpoint, prepares the model for serving (device,
// layout, folded batch norms) and hands every photo to the inference engine.
#include "fashionseg/torch/segmenter.h"

#include <torch/torch.h>

#include "fashionseg/core/precision.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/torch/checkpoint.h"
#include "fashionseg/torch/device.h"
#include "fashionseg/torch/model_registry.h"
#include "infer/engine.h"

namespace fashionseg {

struct Segmenter::Impl {
  Checkpoint checkpoint;  // identity only: weights are released after loading
  SegmenterOptions options;
  int64_t parameters = 0;
  std::unique_ptr<InferenceEngine> engine;
};

Segmenter::Segmenter(const std::filesystem::path& checkpoint, SegmenterOptions options)
    : impl_(std::make_unique<Impl>()) {
  validate_segment_options(options);
  LoadedModel loaded = load_model(checkpoint);
  EngineModel model;
  model.device = parse_device(options.device, "device");
  model.model = loaded.model;
  model.preprocessing = loaded.checkpoint.preprocessing;
  model.class_names = loaded.checkpoint.class_names;
  model.max_logit_values = options.max_logit_values;
  model.category_rule = loaded.checkpoint.category_rule;
  model.bf16 =
      resolve_bf16(options.precision, find_model(loaded.checkpoint.architecture).bf16_helps,
                   model.device.is_cpu() ? "cpu" : options.device);
  // In bf16 NHWC pays for every architecture (oneDNN's bf16 kernels want it); in fp32 only
  // for those the registry says.
  model.channels_last =
      options.channels_last && model.device.is_cpu() &&
      (model.bf16 || find_model(loaded.checkpoint.architecture).prefers_channels_last);
  impl_->parameters = count_parameters(*model.model);
  // The engine runs this model under bf16 autocast only when model.bf16, and the model is
  // its own (the trainer's validation engine shares the training model and does not do this).
  prepare_for_inference(*model.model, {model.device, model.channels_last, options.fold_batch_norms,
                                       model.bf16, options.fuse_convolutions});
  impl_->engine = std::make_unique<InferenceEngine>(std::move(model));
  impl_->checkpoint = std::move(loaded.checkpoint);
  impl_->checkpoint.weights.clear();
  impl_->checkpoint.training = {};
  impl_->options = std::move(options);
}

Segmenter::~Segmenter() = default;
Segmenter::Segmenter(Segmenter&&) noexcept = default;
Segmenter& Segmenter::operator=(Segmenter&&) noexcept = default;

Segmentation Segmenter::segment(const cv::Mat& rgb) const {
  return impl_->engine->segment({rgb}, impl_->options)[0];
}

Segmentation Segmenter::segment(const cv::Mat& rgb, const SegmenterOptions& call_options) const {
  return impl_->engine->segment({rgb}, call_options)[0];
}

std::vector<Segmentation> Segmenter::segment_batch(const std::vector<cv::Mat>& rgb) const {
  return impl_->engine->segment(rgb, impl_->options);
}

std::vector<Segmentation> Segmenter::segment_batch(const std::vector<cv::Mat>& rgb,
                                                   const SegmenterOptions& call_options) const {
  return impl_->engine->segment(rgb, call_options);
}

Segmentation Segmenter::segment_encoded(std::string_view bytes, const std::string& name) const {
  return segment(decode_image_rgb(bytes, name));
}

const std::vector<std::string>& Segmenter::class_names() const {
  return impl_->checkpoint.class_names;
}
const std::string& Segmenter::architecture() const { return impl_->checkpoint.architecture; }
cv::Size Segmenter::input_size() const {
  return {static_cast<int>(impl_->checkpoint.preprocessing.input_width),
          static_cast<int>(impl_->checkpoint.preprocessing.input_height)};
}
int64_t Segmenter::parameters() const { return impl_->parameters; }
bool Segmenter::bf16() const { return impl_->engine->model().bf16; }
bool Segmenter::has_category_head() const { return impl_->checkpoint.options.category_head; }
bool Segmenter::calibrated_categories() const {
  return has_category_head() && impl_->checkpoint.category_rule.calibrated;
}
const SegmenterOptions& Segmenter::options() const { return impl_->options; }
const InferenceEngine& Segmenter::engine() const { return *impl_->engine; }

}  // namespace fashionseg
