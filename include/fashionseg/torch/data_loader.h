#pragma once
/// A multi-threaded data loader: decodes photos and label masks, transforms them
/// (transforms.h), normalises and collates them into batch tensors, in worker threads.
///
/// Determinism: the epoch's order comes from (seed, epoch) and each sample's augmentation from
/// (seed, epoch, position in the epoch), never from thread timing, and batches come back in
/// order; so a seed gives the same batches with any number of workers.
/// Memory is bounded: at most `prefetch_batches` batches are in flight.

#include <torch/types.h>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fashionseg/data/transforms.h"
#include "fashionseg/torch/tensor_image.h"

namespace fashionseg {

/// One photo and what it is labelled with.
struct LoaderSample {
  std::filesystem::path image;  ///< photo (JPEG or PNG)
  /// 8-bit label PNG; empty for a photo without a mask (its mask row is all 255, ignore) and
  /// for inference (when no sample has one: then batches carry no masks).
  std::filesystem::path mask;
  std::string id;  ///< identity in batches and errors; empty = the image file name
  /// Image-level tags as class values (mask values), and whether the photo has tags at all
  /// (a photo may be tagged with nothing).
  std::vector<int> tags;
  bool has_tags = false;
  /// The photo's size after EXIF rotation when known (index.csv): a photo without a mask can
  /// then be decoded at reduced size. {0,0} = unknown (decoded at full size first).
  cv::Size size{0, 0};
};

/// Options of a DataLoader. Defaults: evaluation pipeline, batches of 8, no shuffling, last
/// batch kept, 2 workers.
struct LoaderOptions {
  /// Samples per batch (>= 1).
  int64_t batch_size = 8;
  /// Shuffle the order each epoch (ignored with sample_weights, whose draws are random).
  bool shuffle = false;
  /// Drop the last, smaller batch. Default false: validation must see every sample.
  bool drop_last = false;
  /// Worker threads decoding and transforming samples (>= 1).
  int workers = 2;
  /// Batches decoded ahead of the consumer at most (>= 1); bounds the memory in use.
  int prefetch_batches = 4;
  /// Seed of the order and the augmentations.
  uint64_t seed = 0;
  /// Distributed sharding: this process's rank in [0, world_size). Each rank gets every
  /// world_size-th sample of the epoch's order, padded by repeating the order's first
  /// samples so every rank has the same count (as torch's DistributedSampler).
  int rank = 0;
  int world_size = 1;
  /// Rare-class oversampling: one non-negative weight per sample (empty = off). When set,
  /// each epoch draws `samples_per_epoch` samples with replacement, sample i with probability
  /// weight_i / sum(weights).
  std::vector<double> sample_weights;
  /// Draws per epoch with sample_weights (0 = the number of samples).
  int64_t samples_per_epoch = 0;
  /// true: training pipeline (random scale, crop, flip, jitter); false: evaluation pipeline.
  bool train = false;
  /// Transform options of the pipeline. Samples of a batch must come out the same size:
  /// set `crop` (training), or resize to fit a box and pad to it (evaluation), unless
  /// batch_size is 1.
  TransformOptions transform;
  /// Image normalisation (default ImageNet mean/std).
  Normalization normalization;
  /// Allocate images in channels-last memory format (same shape, NHWC strides).
  bool channels_last = false;
  /// Decode JPEG photos at 1/2, 1/4 or 1/8 size when the pipeline shrinks them at least that
  /// much anyway (libjpeg's scaled decode: several times faster than a full decode plus
  /// resize, and as good a reduction). Needs the full size first: the mask's, or
  /// LoaderSample::size for a photo without one.
  bool reduced_decode = true;
  /// Width C of Batch::tags (the number of classes); 0 = batches carry no tags tensor.
  int64_t num_classes = 0;
  /// Mixed batches: photos without a mask in every batch (the rest are masked photos), drawn
  /// from the samples without a mask path; 0 = one pool, in the order of the samples (the
  /// default). With it, an epoch is one pass over the masked samples (or samples_per_epoch
  /// draws of them with sample_weights); the unmasked ones are cycled through, reshuffled
  /// each pass. Must be < batch_size.
  int64_t unmasked_per_batch = 0;
  /// Training: batches also carry `strong_images`, a second view of each photo. Rows without
  /// a mask then hold a weak view in `images` (geometry only: scale, zoom, crop, flip) and a
  /// strong view in `strong_images` (the same geometry, so pixel (y, x) shows the same point
  /// in both, plus the colour jitter, the appearance changes and cutouts); masked rows hold
  /// the usual augmentation in both.
  bool two_views = false;
};

/// One collated batch.
struct Batch {
  torch::Tensor images;  ///< float32 [B,3,H,W], normalised
  /// int64 [B,H,W] labels (255 = ignore; all 255 in rows without a mask); undefined when no
  /// sample of the loader has a mask.
  torch::Tensor masks;
  torch::Tensor indices;  ///< int64 [B], the samples' positions in the loader's sample list
  /// int64 [B, 2]: each photo's height and width inside its padded row (evaluation pipeline:
  /// the photo fitted into the box; training: the whole crop).
  torch::Tensor sizes;
  std::vector<std::string> ids;  ///< the samples' ids
  torch::Tensor has_mask;        ///< bool [B]: the row's mask is a real one
  /// float32 [B,C] multi-hot image-level tags (1 = tagged; background, index 0, never is);
  /// all 0 in rows without tags. Undefined when LoaderOptions::num_classes is 0.
  torch::Tensor tags;
  torch::Tensor has_tags;       ///< bool [B]: the row's photo has tags
  torch::Tensor strong_images;  ///< float32 [B,3,H,W] with two_views (see LoaderOptions)
};

/// Loads batches in order from worker threads. Use:
///   loader.set_epoch(e);
///   while (auto batch = loader.next()) { ... }
/// or `for (Batch& batch : loader)` (which restarts the current epoch). Not thread-safe
/// itself: one consumer thread.
class DataLoader {
 public:
  /// Checks the options and the samples (Error(kConfig): a tag outside num_classes, mixed
  /// batches without samples of both kinds); reads nothing yet.
  DataLoader(std::vector<LoaderSample> samples, LoaderOptions options);
  /// Stops the workers (they finish the sample at hand) and joins them.
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  /// Selects the epoch (order and augmentations) and restarts from its first batch.
  void set_epoch(int64_t epoch);
  /// Restarts the current epoch from its first batch.
  void rewind();
  /// The next batch of the epoch, or nullopt at its end (and after, until set_epoch/rewind).
  /// A failure in a worker (unreadable image, bad mask) is rethrown here as the original
  /// exception, in the batch where it happened; the epoch then ends.
  std::optional<Batch> next();

  /// Positions (into the sample list) this rank visits in `epoch`, in order, before batching.
  std::vector<int64_t> epoch_order(int64_t epoch) const;
  /// Samples this rank visits per epoch (before drop_last).
  int64_t samples_per_rank() const;
  /// Batches per epoch for this rank.
  int64_t num_batches() const;
  int64_t epoch() const { return epoch_; }
  const LoaderOptions& options() const { return options_; }

  /// Input iterator over the remaining batches; begin() restarts the current epoch.
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    using pointer = Batch*;
    using reference = Batch&;
    Batch& operator*() { return *batch_; }
    Batch* operator->() { return &*batch_; }
    Iterator& operator++() {
      batch_ = loader_->next();
      return *this;
    }
    bool operator==(const Iterator& other) const {
      return batch_.has_value() == other.batch_.has_value();
    }
    bool operator!=(const Iterator& other) const { return !(*this == other); }

   private:
    friend class DataLoader;
    DataLoader* loader_ = nullptr;
    std::optional<Batch> batch_;
  };
  Iterator begin();
  Iterator end() { return Iterator(); }

 private:
  struct Slot;
  void start();
  void stop();
  void worker_loop();
  void load_sample(int64_t position, Slot& slot, int64_t row);
  ImageMask load_background_photo(uint64_t seed, int64_t index, cv::Size size) const;

  std::vector<LoaderSample> samples_;
  LoaderOptions options_;
  bool has_masks_ = false;
  std::vector<int64_t> masked_, unmasked_;  // sample indices with / without a mask path
  int64_t epoch_ = 0;

  // Epoch state, guarded by mutex_ while workers run.
  enum class State { kIdle, kRunning, kFinished };
  State state_ = State::kIdle;
  std::vector<int64_t> order_;  // this rank's positions for the epoch (after drop_last)
  int64_t rank_offset_ = 0;     // global position of order_[0] in the padded epoch order
  int64_t batches_ = 0;
  int64_t next_task_ = 0;   // next position in order_ to hand to a worker
  int64_t next_batch_ = 0;  // next batch to give to the consumer
  bool stopping_ = false;
  std::map<int64_t, std::unique_ptr<Slot>> slots_;  // batches in flight
  std::mutex mutex_;
  std::condition_variable work_ready_;   // workers wait for tasks
  std::condition_variable batch_ready_;  // the consumer waits for the next batch
  std::vector<std::thread> threads_;
};

}  // namespace fashionseg
