#include <torch/torch.h>

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "fashionseg/error.h"
#include "fashionseg/files.h"
#include "fashionseg/image_decode_reduced.h"
#include "fashionseg/image_io.h"
#include "fashionseg/loader.h"
#include "fashionseg/random.h"
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
  if (with_mask != 0 && with_mask != samples_.size()) {
    throw_config_error(std::to_string(with_mask) + " of " + std::to_string(samples_.size()) +
                           " samples have a mask path",
                       "give every sample a mask, or none for inference");
  }
  has_masks_ = with_mask != 0;
}

DataLoader::~DataLoader() { stop(); }

int64_t DataLoader::samples_per_rank() const {
  const int64_t global =
      options_.sample_weights.empty()
          ? static_cast<int64_t>(samples_.size())
          : (options_.samples_per_epoch > 0 ? options_.samples_per_epoch
                                            : static_cast<int64_t>(samples_.size()));
  return (global + options_.world_size - 1) / options_.world_size;
}

int64_t DataLoader::num_batches() const {
  const int64_t n = samples_per_rank(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::vector<int64_t> DataLoader::epoch_order(int64_t epoch) const {
  return rank_epoch_order(order_spec(options_, static_cast<int64_t>(samples_.size())), epoch);
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

void DataLoader::load_sample(int64_t position, Slot& slot, int64_t row) {
  const int64_t index = order_[static_cast<size_t>(position)];
  const LoaderSample& sample = samples_[static_cast<size_t>(index)];
  try {
    const std::string bytes = read_file(sample.image);
    const std::string name = sample.image.string();
    cv::Mat mask;
    if (has_masks_) mask = read_label_mask(sample.mask);
    // The sample's stream depends on its place in the epoch, not on the thread that happens
    // to load it; a sample drawn twice (oversampling) gets two augmentations.
    const int64_t global = options_.rank + position * static_cast<int64_t>(options_.world_size);
    std::mt19937_64 rng(
        derive_seed(options_.seed, static_cast<uint64_t>(epoch_), static_cast<uint64_t>(global)));
    cv::Mat image;
    std::optional<TrainPlan> plan;
    if (has_masks_) {
      // The mask gives the photo's full size (after EXIF rotation) before it is decoded, so
      // the plan can choose how small the photo may be decoded.
      const cv::Size full = mask.size();
      cv::Size target = resized_size(full, options_.transform);
      if (options_.train) {
        plan = draw_train_plan(full, options_.transform, rng);
        target = plan->scaled;
      }
      const int reduction = options_.reduced_decode ? decode_reduction_for(full, target) : 1;
      image = decode_image_rgb_reduced(bytes, name, reduction);
      cv::Size photo = image.size();
      if (photo != full && reduction > 1) {
        // A reduced decode: the photo matches when its stored size is the mask's (or, rotated
        // by EXIF, its transpose) and libjpeg's reduced size (sides rounded up) is the mask's.
        const ImageSize stored = parse_image_size(bytes, name);
        photo = {stored.width, stored.height};
        const cv::Size reduced((full.width + reduction - 1) / reduction,
                               (full.height + reduction - 1) / reduction);
        if ((photo == full || photo == cv::Size(full.height, full.width)) &&
            image.size() == reduced) {
          photo = full;
        }
      }
      if (photo != full) {
        throw_input_error("mask is " + std::to_string(full.width) + "x" +
                              std::to_string(full.height) + " but its image is " +
                              std::to_string(photo.width) + "x" + std::to_string(photo.height),
                          {sample.mask.string(), 0, "sample " + sample.id});
      }
    } else {
      image = decode_image_rgb_reduced(bytes, name, 1);
      if (options_.train) plan = draw_train_plan(image.size(), options_.transform, rng);
    }
    const ImageMask out = plan ? apply_train_plan(image, mask, *plan, options_.transform)
                               : eval_transform(image, mask, options_.transform);
    const cv::Size content =
        plan ? out.image.size()
             : resized_size(has_masks_ ? mask.size() : image.size(), options_.transform);
    image.release();  // free the decoded photo before collating
    mask.release();

    const int64_t h = out.image.rows, w = out.image.cols;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!slot.allocated) {
        auto format = options_.channels_last ? torch::MemoryFormat::ChannelsLast
                                             : torch::MemoryFormat::Contiguous;
        slot.batch.images =
            torch::empty({slot.rows, 3, h, w}, torch::dtype(torch::kFloat32).memory_format(format));
        if (has_masks_) slot.batch.masks = torch::empty({slot.rows, h, w}, torch::kInt64);
        slot.batch.indices = torch::empty({slot.rows}, torch::kInt64);
        slot.batch.sizes = torch::empty({slot.rows, 2}, torch::kInt64);
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
    if (has_masks_) write_mask_row(out.mask, slot.batch.masks, row);
    slot.batch.indices.data_ptr<int64_t>()[row] = index;
    slot.batch.sizes.data_ptr<int64_t>()[2 * row] = content.height;
    slot.batch.sizes.data_ptr<int64_t>()[2 * row + 1] = content.width;
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
