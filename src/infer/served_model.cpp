// The bridge from a loaded Segmenter to the service. In the torch library, beside the
// Segmenter it reads: the serve library stays free of torch, and programs that serve another
// model (the tests' stand-in) link neither.
#include "fashionseg/torch/served_model.h"

namespace fashionseg {

ServedModel make_served_model(const Segmenter& segmenter) {
  ServedModel model;
  model.architecture = segmenter.architecture();
  model.class_names = segmenter.class_names();
  model.input_size = segmenter.input_size();
  model.parameters = segmenter.parameters();
  model.category_head = segmenter.has_category_head();
  model.bf16 = segmenter.bf16();
  model.calibrated_categories = segmenter.calibrated_categories();
  model.segment = [&segmenter](const cv::Mat& rgb, bool flip, const AreaRule& rule) {
    SegmenterOptions call = segmenter.options();
    call.flip = flip;
    call.colors = false;  // the service names colours itself, for the categories it lists
    call.area_rule = rule;
    return segmenter.segment(rgb, call);
  };
  return model;
}

}  // namespace fashionseg
