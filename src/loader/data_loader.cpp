#include <torch/torch.h>

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "fashionseg/core/error.h"
#include "fashionseg/core/files.h"
#include "fashionseg/data/image_decode_reduced.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/data/random.h"
#include "fashionseg/torch/data_loader.h"
#include "loader/collate.h"
#include "loader/epoch_order.h"

namespace fashionseg {

// A batch being filled by the workers. Its tensors are allocated by the first sample that
// finishes (its size decides the batch's size); each worker then writes its own row.
struct DataLoader::Slot {
  Batch batch;
  int64_t rows = 0;
  int64_t remaining = 0;  // rows not finished yet (failed rows count as finished)
  bool allocated = false;
  std::exception_ptr error;  // the first failure among the rows
};

namespace {

EpochOrderSpec order_spec(const LoaderOptions& o, int64_t num_samples) {
  EpochOrderSpec spec;
  spec.num_samples = num_samples;
  spec.shuffle = o.shuffle;
  spec.weights = o.sample_weights;
  spec.draws = o.samples_per_epoch;
  spec.seed = o.seed;
  spec.rank = o.rank;
  spec.world_size = o.world_size;
  return spec;
}

void validate(const LoaderOptions& o, size_t num_samples) {
  if (o.batch_size < 1) throw_config_error("batch_size must be >= 1");
  if (o.workers < 1) throw_config_error("workers must be >= 1");
  if (o.prefetch_batches < 1) throw_config_error("prefetch_batches must be >= 1");
  if (o.world_size < 1 || o.rank < 0 || o.rank >= o.world_size) {
    throw_config_error("rank must lie in [0, world_size), got rank " + std::to_string(o.rank) +
                       " of " + std::to_string(o.world_size));
  }
  if (o.samples_per_epoch < 0) throw_config_error("samples_per_epoch must be >= 0");
  if (o.num_classes < 0) throw_config_error("num_classes must be >= 0");
  if (o.unmasked_per_batch < 0 || o.unmasked_per_batch >= o.batch_size) {
    throw_config_error("unmasked_per_batch must lie in [0, batch_size), got " +
                       std::to_string(o.unmasked_per_batch));
  }
  if (o.two_views && !o.train) throw_config_error("two views are for training only");
  if (!o.sample_weights.empty()) {
    if (o.sample_weights.size() != num_samples) {
      throw_config_error("sample_weights has " + std::to_string(o.sample_weights.size()) +
                         " entries for " + std::to_string(num_samples) + " samples");
    }
    double total = 0;
    for (double w : o.sample_weights) {
      if (!(w >= 0) || !std::isfinite(w)) {
        throw_config_error("sample weights must be finite and >= 0");
      }
      total += w;
    }
    if (!(total > 0)) throw_config_error("sample weights must not all be 0");
  }
  validate_transform_options(o.transform);
}

// Errors raised by the transforms do not know the file; name it, keeping kind and message.
Error with_sample_location(const Error& e, const LoaderSample& sample) {
  if (!e.where().file.empty()) return e;
  return Error(e.kind(), e.message(), {sample.image.string(), 0, "sample " + sample.id}, e.hint());
}

}  // namespace

DataLoader::DataLoader(std::vector<LoaderSample> samples, LoaderOptions options)
    : samples_(std::move(samples)), options_(std::move(options)) {
  validate(options_, samples_.size());
  size_t with_mask = 0;
  for (auto& sample : samples_) {
    if (sample.id.empty()) sample.id = sample.image.filename().string();
    if (!sample.mask.empty()) ++with_mask;
  }
  has_masks_ = with_mask != 0;
  for (size_t i = 0; i < samples_.size(); ++i) {
    (samples_[i].mask.empty() ? unmasked_ : masked_).push_back(static_cast<int64_t>(i));
    if (options_.num_classes == 0) continue;
    for (int tag : samples_[i].tags) {
      if (tag < 0 || tag >= options_.num_classes) {
        throw_config_error("sample " + samples_[i].id + " has tag " + std::to_string(tag) +
                           " outside the " + std::to_string(options_.num_classes) + " classes");
      }
    }
  }
  if (options_.unmasked_per_batch > 0 && (masked_.empty() || unmasked_.empty())) {
    throw_config_error("mixed batches need photos with and without masks (" +
                           std::to_string(masked_.size()) + " and " +
                           std::to_string(unmasked_.size()) + " here)",
                       "set unmasked_per_batch to 0, or prepare photos with tags or none");
  }
}

DataLoader::~DataLoader() { stop(); }

namespace {

// Samples one rank visits from a pool of `pool` samples in an epoch.
int64_t pool_per_rank(const LoaderOptions& o, int64_t pool) {
  const int64_t global =
      o.sample_weights.empty() ? pool : (o.samples_per_epoch > 0 ? o.samples_per_epoch : pool);
  return (global + o.world_size - 1) / o.world_size;
}

std::vector<double> weights_of(const std::vector<double>& weights,
                               const std::vector<int64_t>& pool) {
  if (weights.empty()) return {};
  std::vector<double> picked;
  for (int64_t i : pool) picked.push_back(weights[static_cast<size_t>(i)]);
  return picked;
}

}  // namespace

int64_t DataLoader::samples_per_rank() const {
  if (options_.unmasked_per_batch == 0) {
    return pool_per_rank(options_, static_cast<int64_t>(samples_.size()));
  }
  const int64_t masked = pool_per_rank(options_, static_cast<int64_t>(masked_.size()));
  const int64_t per_masked = options_.batch_size - options_.unmasked_per_batch;
  return masked + (masked + per_masked - 1) / per_masked * options_.unmasked_per_batch;
}

int64_t DataLoader::num_batches() const {
  if (options_.unmasked_per_batch == 0) {
    const int64_t n = samples_per_rank(), b = options_.batch_size;
    return options_.drop_last ? n / b : (n + b - 1) / b;
  }
  const int64_t n = pool_per_rank(options_, static_cast<int64_t>(masked_.size()));
  const int64_t b = options_.batch_size - options_.unmasked_per_batch;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::vector<int64_t> DataLoader::epoch_order(int64_t epoch) const {
  if (options_.unmasked_per_batch == 0) {
    return rank_epoch_order(order_spec(options_, static_cast<int64_t>(samples_.size())), epoch);
  }
  MixedOrderSpec spec;
  spec.masked = order_spec(options_, static_cast<int64_t>(masked_.size()));
  spec.masked.weights = weights_of(options_.sample_weights, masked_);
  spec.unmasked = order_spec(options_, static_cast<int64_t>(unmasked_.size()));
  spec.unmasked.weights = weights_of(options_.sample_weights, unmasked_);
  spec.unmasked.draws = 0;  // one pass = the pool once (or as many draws)
  spec.masked_ids = masked_;
  spec.unmasked_ids = unmasked_;
  spec.masked_per_batch = options_.batch_size - options_.unmasked_per_batch;
  spec.unmasked_per_batch = options_.unmasked_per_batch;
  spec.drop_last = options_.drop_last;
  return mixed_rank_epoch_order(spec, epoch);
}

void DataLoader::set_epoch(int64_t epoch) {
  stop();
  epoch_ = epoch;
}

void DataLoader::rewind() { stop(); }

void DataLoader::start() {
  order_ = epoch_order(epoch_);
  batches_ = num_batches();
  order_.resize(static_cast<size_t>(
      std::min<int64_t>(static_cast<int64_t>(order_.size()), batches_ * options_.batch_size)));
  next_task_ = 0;
  next_batch_ = 0;
  stopping_ = false;
  slots_.clear();
  state_ = State::kRunning;
  const int64_t threads = std::min<int64_t>(options_.workers, static_cast<int64_t>(order_.size()));
  for (int64_t t = 0; t < threads; ++t) threads_.emplace_back([this] { worker_loop(); });
}

void DataLoader::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
  slots_.clear();
  state_ = State::kIdle;
}

void DataLoader::worker_loop() {
  const int64_t batch_size = options_.batch_size;
  const int64_t count = static_cast<int64_t>(order_.size());
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    // Hand out positions in order, but only within the prefetch window: memory stays bounded
    // and the batch the consumer waits for is always the one being worked on first.
    work_ready_.wait(lock, [&] {
      return stopping_ || next_task_ >= count ||
             next_task_ / batch_size < next_batch_ + options_.prefetch_batches;
    });
    if (stopping_ || next_task_ >= count) return;
    const int64_t position = next_task_++;
    const int64_t batch = position / batch_size;
    std::unique_ptr<Slot>& entry = slots_[batch];
    if (!entry) {
      entry = std::make_unique<Slot>();
      entry->rows = std::min(batch_size, count - batch * batch_size);
      entry->remaining = entry->rows;
    }
    Slot& slot = *entry;  // stays put: the consumer removes it only once it is complete
    lock.unlock();
    load_sample(position, slot, position % batch_size);
    lock.lock();
    if (--slot.remaining == 0 && batch == next_batch_) batch_ready_.notify_one();
  }
}

namespace {

// Decodes a photo whose full size (after EXIF rotation) is `full` (`what_full` says where that
// size comes from: "the mask" or "the index"), at the largest reduction that still covers `target`,
// and checks that it is the photo `full` describes.
cv::Mat decode_for(const std::string& bytes, const std::string& name, cv::Size full,
                   cv::Size target, bool reduced, const char* what_full, const Location& where) {
  const int reduction = reduced ? decode_reduction_for(full, target) : 1;
  cv::Mat image = decode_image_rgb_reduced(bytes, name, reduction);
  cv::Size photo = image.size();
  if (photo != full && reduction > 1) {
    // A reduced decode: the photo matches when its stored size is the full one (or, rotated
    // by EXIF, its transpose) and libjpeg's reduced size (sides rounded up) is the full one's.
    const ImageSize stored = parse_image_size(bytes, name);
    photo = {stored.width, stored.height};
    const cv::Size reduced_size((full.width + reduction - 1) / reduction,
                                (full.height + reduction - 1) / reduction);
    if ((photo == full || photo == cv::Size(full.height, full.width)) &&
        image.size() == reduced_size) {
      photo = full;
    }
  }
  if (photo != full) {
    throw_input_error(std::string(what_full) + " says " + std::to_string(full.width) + "x" +
                          std::to_string(full.height) + " but the image is " +
                          std::to_string(photo.width) + "x" + std::to_string(photo.height),
                      where);
  }
  return image;
}

// What a background photo keeps of the pipeline: scale, crop and flip (no zoom: it is seen
// whole; no colour changes: they follow on the composed photo).
TransformOptions geometry_only(TransformOptions options) {
  options.jitter = {};
  options.zoom.probability = 0;
  options.appearance = {};
  options.background = {};
  return options;
}

}  // namespace

ImageMask DataLoader::load_background_photo(uint64_t seed, int64_t self, cv::Size size) const {
  // Another masked photo of the split, with its labels, under a geometry of its own.
  std::mt19937_64 rng(seed);
  int64_t pick =
      masked_[static_cast<size_t>(uniform_int(rng, 0, static_cast<int64_t>(masked_.size()) - 1))];
  if (pick == self && masked_.size() > 1) {
    pick =
        masked_[static_cast<size_t>(uniform_int(rng, 0, static_cast<int64_t>(masked_.size()) - 1))];
  }
  const LoaderSample& other = samples_[static_cast<size_t>(pick)];
  const cv::Mat mask = read_label_mask(other.mask);
  const TransformOptions options = geometry_only(options_.transform);
  const TrainPlan plan = draw_train_plan(mask.size(), options, rng);
  const cv::Mat image = decode_for(read_file(other.image), other.image.string(), mask.size(),
                                   plan.scaled, options_.reduced_decode, "the mask",
                                   {other.mask.string(), 0, "sample " + other.id});
  ImageMask out = apply_train_geometry(image, mask, plan, options);
  return resize_pair(out, size);
}

void DataLoader::load_sample(int64_t position, Slot& slot, int64_t row) {
  const int64_t index = order_[static_cast<size_t>(position)];
  const LoaderSample& sample = samples_[static_cast<size_t>(index)];
  try {
    const std::string bytes = read_file(sample.image);
    const std::string name = sample.image.string();
    const bool own_mask = !sample.mask.empty();
    // The sample's stream depends on its place in the epoch, not on the thread that happens
    // to load it; a sample drawn twice (oversampling) gets two augmentations.
    const int64_t global = options_.rank + position * static_cast<int64_t>(options_.world_size);
    std::mt19937_64 rng(
        derive_seed(options_.seed, static_cast<uint64_t>(epoch_), static_cast<uint64_t>(global)));
    cv::Mat image, mask;
    // The photo's full size decides the plan before the photo is decoded, so the plan can
    // choose how small it may be decoded: the mask's size, or the index's for a photo
    // without a mask (whose mask, in a loader with masks, is all ignore).
    cv::Size full;
    const char* full_from = "the mask";
    Location where{sample.mask.string(), 0, "sample " + sample.id};
    if (own_mask) {
      mask = read_label_mask(sample.mask);
      full = mask.size();
    } else if (sample.size.width > 0 && sample.size.height > 0) {
      full = sample.size;
      full_from = "the index";
      where = {name, 0, "sample " + sample.id};
    } else {
      image = decode_image_rgb_reduced(bytes, name, 1);
      full = image.size();
    }
    if (has_masks_ && !own_mask) mask = cv::Mat(full, CV_8UC1, cv::Scalar(kMaskPadValue));
    std::optional<TrainPlan> plan;
    cv::Size target = resized_size(full, options_.transform);
    if (options_.train) {
      // Zoomed crops centre on the person: the mask's labelled box (a pass over the mask,
      // made only when zooming is on).
      const cv::Rect focus =
          options_.transform.zoom.probability > 0 ? labelled_box(mask) : cv::Rect();
      plan = draw_train_plan(full, options_.transform, rng, focus);
      if (!own_mask) plan->background = {};  // it needs the person's outline
      target = plan->scaled;
    }
    if (image.empty()) {
      image = decode_for(bytes, name, full, target, options_.reduced_decode, full_from, where);
    }

    ImageMask out;
    cv::Mat strong;
    if (!plan) {
      out = eval_transform(image, mask, options_.transform);
    } else if (options_.two_views && !own_mask) {
      // Weak view: the geometry alone; strong view: the same pixels, then photometric changes
      // and cutouts, so the two stay aligned pixel for pixel.
      cv::Rect valid;
      out = apply_train_geometry(image, mask, *plan, options_.transform, &valid);
      strong = out.image.clone();
      apply_train_photometric(strong, *plan, valid);
      apply_cutouts(strong, draw_cutouts(strong.size(), options_.transform.cutout, rng),
                    options_.transform.image_pad_color);
    } else {
      ImageMask background;
      if (plan->background.kind == BackgroundKind::kPhoto) {
        background = load_background_photo(plan->background.photo_seed, index, plan->window.size());
      }
      out = apply_train_plan(image, mask, *plan, options_.transform,
                             background.image.empty() ? nullptr : &background);
      if (options_.two_views) strong = out.image;
    }
    // The photo's own extent inside its padded row (the evaluation pipeline pads to a box).
    const cv::Size content =
        plan ? out.image.size()
             : resized_size(mask.empty() ? image.size() : mask.size(), options_.transform);
    image.release();  // free the decoded photo before collating
    mask.release();

    const int64_t h = out.image.rows, w = out.image.cols;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!slot.allocated) {
        auto format = options_.channels_last ? torch::MemoryFormat::ChannelsLast
                                             : torch::MemoryFormat::Contiguous;
        const auto image_options = torch::dtype(torch::kFloat32).memory_format(format);
        slot.batch.images = torch::empty({slot.rows, 3, h, w}, image_options);
        if (options_.two_views)
          slot.batch.strong_images = torch::empty({slot.rows, 3, h, w}, image_options);
        if (has_masks_) slot.batch.masks = torch::empty({slot.rows, h, w}, torch::kInt64);
        slot.batch.indices = torch::empty({slot.rows}, torch::kInt64);
        slot.batch.sizes = torch::empty({slot.rows, 2}, torch::kInt64);
        slot.batch.has_mask = torch::zeros({slot.rows}, torch::kBool);
        slot.batch.has_tags = torch::zeros({slot.rows}, torch::kBool);
        if (options_.num_classes > 0) {
          slot.batch.tags = torch::zeros({slot.rows, options_.num_classes}, torch::kFloat32);
        }
        slot.batch.ids.resize(static_cast<size_t>(slot.rows));
        slot.allocated = true;
      } else if (slot.batch.images.size(2) != h || slot.batch.images.size(3) != w) {
        throw_config_error(
            "samples of one batch came out with different sizes (" + std::to_string(w) + "x" +
                std::to_string(h) + " vs " + std::to_string(slot.batch.images.size(3)) + "x" +
                std::to_string(slot.batch.images.size(2)) + ")",
            "set a crop size, or resize to fit a box and pad to it, or use batch_size 1");
      }
    }
    write_image_row(out.image, options_.normalization, slot.batch.images, row);
    if (options_.two_views) {
      write_image_row(strong, options_.normalization, slot.batch.strong_images, row);
    }
    if (has_masks_) write_mask_row(out.mask, slot.batch.masks, row);
    slot.batch.indices.data_ptr<int64_t>()[row] = index;
    slot.batch.sizes.data_ptr<int64_t>()[2 * row] = content.height;
    slot.batch.sizes.data_ptr<int64_t>()[2 * row + 1] = content.width;
    slot.batch.has_mask.data_ptr<bool>()[row] = own_mask;
    slot.batch.has_tags.data_ptr<bool>()[row] = sample.has_tags;
    if (slot.batch.tags.defined()) {
      float* tags = slot.batch.tags.data_ptr<float>() + row * options_.num_classes;
      for (int tag : sample.tags) tags[tag] = 1.0f;
    }
    slot.batch.ids[static_cast<size_t>(row)] = sample.id;
  } catch (const Error& e) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!slot.error) slot.error = std::make_exception_ptr(with_sample_location(e, sample));
  } catch (const cv::Exception& e) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!slot.error) {
      slot.error = std::make_exception_ptr(
          Error(ErrorKind::kInput, std::string("cannot transform image: ") + e.what(),
                {sample.image.string(), 0, "sample " + sample.id}));
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!slot.error) slot.error = std::current_exception();
  }
}

std::optional<Batch> DataLoader::next() {
  if (state_ == State::kFinished) return std::nullopt;
  if (state_ == State::kIdle) start();
  std::unique_ptr<Slot> slot;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (next_batch_ < batches_) {
      batch_ready_.wait(lock, [&] {
        auto it = slots_.find(next_batch_);
        return it != slots_.end() && it->second->remaining == 0;
      });
      auto it = slots_.find(next_batch_);
      slot = std::move(it->second);
      slots_.erase(it);
      ++next_batch_;
    }
  }
  if (!slot) {  // the epoch is over
    stop();
    state_ = State::kFinished;
    return std::nullopt;
  }
  work_ready_.notify_all();  // the window moved on
  if (slot->error) {
    stop();
    state_ = State::kFinished;
    std::rethrow_exception(slot->error);
  }
  return std::move(slot->batch);
}

DataLoader::Iterator DataLoader::begin() {
  rewind();
  Iterator it;
  it.loader_ = this;
  it.batch_ = next();
  return it;
}

}  // namespace fashionseg
