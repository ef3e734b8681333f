#include "fashionseg/torch/evaluation.h"

#include <torch/torch.h>

#include <cmath>
#include <future>
#include <limits>

#include "fashionseg/core/error.h"
#include "fashionseg/core/parallel.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/data/transforms.h"
#include "fashionseg/torch/tensor_image.h"
#include "infer/engine.h"

namespace fashionseg {
namespace {

/// Category ids of a segmentation's decided categories.
std::vector<int> category_ids(const Segmentation& segmentation) {
  std::vector<int> ids;
  for (const auto& category : segmentation.categories) ids.push_back(category.id);
  return ids;
}

EvaluationResult empty_result(size_t classes, const EvaluationOptions& options) {
  const int n = static_cast<int>(classes);
  const double min_area = options.segment.area_rule.min_area_fraction;
  return {
      ConfusionMatrix(n), CategoryDetection(n, min_area), 0, CategoryDetection(n, min_area), 0, {}};
}

/// What the category decision read for one photo (the head's logits, NaN without a head,
/// and the share of the photo each class covers in the mask) and its true categories.
CalibrationPhoto evidence_of(const Segmentation& segmentation, size_t classes,
                             std::vector<int> truth) {
  CalibrationPhoto photo;
  photo.evidence.resize(classes);
  std::vector<int64_t> counts(256, 0);
  const cv::Mat& labels = segmentation.labels;
  for (int y = 0; y < labels.rows; ++y) {
    const uint8_t* row = labels.ptr<uint8_t>(y);
    for (int x = 0; x < labels.cols; ++x) ++counts[row[x]];
  }
  const double total = static_cast<double>(labels.total());
  const bool has_head = segmentation.head_logits.size() == classes;
  for (size_t c = 0; c < classes; ++c) {
    photo.evidence[c].area = c < counts.size() ? static_cast<double>(counts[c]) / total : 0.0;
    photo.evidence[c].logit =
        has_head ? segmentation.head_logits[c] : std::numeric_limits<double>::quiet_NaN();
  }
  photo.truth = std::move(truth);
  return photo;
}

/// Photos and masks of samples [first, first + count), read in parallel.
struct PhotoBatch {
  std::vector<cv::Mat> photos, truths;
};

PhotoBatch read_batch(const std::vector<LoaderSample>& samples, size_t first, size_t count,
                      int threads) {
  PhotoBatch batch;
  batch.photos.resize(count);
  batch.truths.resize(count);
  parallel_for(count, threads, [&](size_t k) {
    const LoaderSample& sample = samples[first + k];
    if (sample.mask.empty() && !sample.has_tags) {
      throw_config_error("evaluation needs a mask or tags for every photo",
                         "sample " + sample.image.string() + " has neither");
    }
    batch.photos[k] = read_image_rgb(sample.image);
    if (sample.mask.empty()) return;  // scored on its tags
    batch.truths[k] = read_label_mask(sample.mask);
    if (batch.truths[k].size() != batch.photos[k].size()) {
      throw_input_error("mask is " + std::to_string(batch.truths[k].cols) + "x" +
                            std::to_string(batch.truths[k].rows) + " but its image is " +
                            std::to_string(batch.photos[k].cols) + "x" +
                            std::to_string(batch.photos[k].rows),
                        {sample.mask.string(), 0, "sample " + sample.id});
    }
  });
  return batch;
}

}  // namespace

std::vector<LoaderSample> evaluation_samples(const PreparedDataset& dataset,
                                             const std::string& split, bool with_tags) {
  std::vector<LoaderSample> samples;
  for (const auto& entry : with_supervision(dataset.split(split), Supervision::kMask)) {
    samples.push_back({entry.image, entry.mask, entry.image_id, {}, false, {0, 0}});
  }
  if (with_tags) {
    for (const auto& entry : with_supervision(dataset.split(split), Supervision::kTags)) {
      samples.push_back({entry.image, {}, entry.image_id, entry.tags, true, {0, 0}});
    }
  }
  if (samples.empty()) {
    throw_config_error("split '" + split + "' has no photos with " +
                       (with_tags ? "masks or tags" : "masks"));
  }
  return samples;
}

EvaluationResult evaluate_photos(const Segmenter& segmenter,
                                 const std::vector<LoaderSample>& samples,
                                 const EvaluationOptions& options, Progress* progress) {
  if (options.batch_size < 1) throw_config_error("the evaluation batch size must be >= 1");
  if (options.at_model_size) {
    for (const auto& sample : samples) {
      if (sample.mask.empty()) {
        throw_config_error("evaluation at the model's size needs a mask for every photo",
                           "sample " + sample.image.string() + " has none; evaluate at full size");
      }
    }
    const EngineModel& model = segmenter.engine().model();
    LoaderOptions loader_options;
    loader_options.batch_size = options.batch_size;
    loader_options.workers = options.threads;
    loader_options.normalization = model.preprocessing.normalization;
    loader_options.transform = fit_into_box(segmenter.input_size());
    // A model that takes any size: photos of different sizes cannot share a batch.
    if (segmenter.input_size().area() == 0) loader_options.batch_size = 1;
    DataLoader loader(samples, loader_options);
    return evaluate_batches(segmenter.engine(), loader, options, progress);
  }
  EvaluationResult result = empty_result(segmenter.class_names().size(), options);
  SegmenterOptions segment_options = options.segment;
  // Scores need the masks and category lists only: no colours, no category confidences.
  segment_options.colors = false;
  segment_options.category_confidence = false;
  const size_t step = static_cast<size_t>(options.batch_size);
  const size_t batches = (samples.size() + step - 1) / step;
  if (progress) progress->start("evaluate", batches);
  auto read_from = [&](size_t first) {
    return std::async(std::launch::async, read_batch, std::cref(samples), first,
                      std::min(step, samples.size() - first), options.threads);
  };
  // The next batch is read while the model works on this one.
  std::future<PhotoBatch> next;
  if (!samples.empty()) next = read_from(0);
  for (size_t first = 0; first < samples.size(); first += step) {
    const PhotoBatch batch = next.get();
    if (first + step < samples.size()) next = read_from(first + step);
    const std::vector<Segmentation> segmented =
        segmenter.segment_batch(batch.photos, segment_options);
    const size_t classes = segmenter.class_names().size();
    for (size_t k = 0; k < segmented.size(); ++k) {
      const LoaderSample& sample = samples[first + k];
      std::vector<int> truth;
      if (batch.truths[k].empty()) {
        truth = sample.tags;
        result.tag_categories.add(truth, category_ids(segmented[k]));
        ++result.tagged_images;
      } else {
        result.matrix.add(batch.truths[k], segmented[k].labels);
        result.categories.add(batch.truths[k], category_ids(segmented[k]));
        ++result.images;
        if (options.keep_evidence) truth = result.categories.present(batch.truths[k]);
      }
      if (options.keep_evidence) {
        result.evidence.push_back(evidence_of(segmented[k], classes, std::move(truth)));
      }
    }
    if (progress) progress->advance(1);
  }
  if (progress) progress->finish();
  return result;
}

EvaluationResult evaluate_batches(const InferenceEngine& engine, DataLoader& loader,
                                  const EvaluationOptions& options, Progress* progress) {
  EvaluationResult result = empty_result(engine.model().class_names.size(), options);
  loader.rewind();
  if (progress) progress->start("evaluate", static_cast<size_t>(loader.num_batches()));
  while (auto batch = loader.next()) {
    if (!batch->masks.defined()) throw_config_error("evaluation needs masks for every photo");
    const int64_t rows = batch->images.size(0);
    std::vector<cv::Size> fitted;
    for (int64_t i = 0; i < rows; ++i) {
      fitted.emplace_back(static_cast<int>(batch->sizes[i][1].item<int64_t>()),
                          static_cast<int>(batch->sizes[i][0].item<int64_t>()));
    }
    const std::vector<Segmentation> segmented =
        engine.segment_placed(batch->images, fitted, options.segment);
    for (int64_t i = 0; i < rows; ++i) {
      const size_t k = static_cast<size_t>(i);
      const cv::Mat truth = tensor_to_mask(batch->masks[i])(cv::Rect(cv::Point(), fitted[k]));
      result.matrix.add(truth, segmented[k].labels);
      result.categories.add(truth, category_ids(segmented[k]));
      ++result.images;
      if (options.keep_evidence) {
        result.evidence.push_back(evidence_of(segmented[k], engine.model().class_names.size(),
                                              result.categories.present(truth)));
      }
    }
    if (progress) progress->advance(1);
  }
  if (progress) progress->finish();
  return result;
}

}  // namespace fashionseg
