#pragma once
/// The order in which one rank visits the samples in one epoch: sequential, shuffled, or
/// weighted draws with replacement; then padded and sharded like torch's
/// DistributedSampler. Portable: the same seed gives the same order on every platform.

#include <cstdint>
#include <vector>

namespace fashionseg {

/// What decides an epoch's order.
struct EpochOrderSpec {
  int64_t num_samples = 0;
  bool shuffle = false;
  std::vector<double> weights;  ///< non-empty: draws with replacement, P(i) ~ weights[i]
  int64_t draws = 0;            ///< draws per epoch with weights (0 = num_samples)
  uint64_t seed = 0;
  int rank = 0;
  int world_size = 1;
};

/// The global order of `epoch` (all ranks), before padding and sharding.
std::vector<int64_t> global_epoch_order(const EpochOrderSpec& spec, int64_t epoch);

/// This rank's positions: every world_size-th entry of the global order, starting at rank,
/// after padding the order (cyclically repeating its start) to a multiple of world_size.
std::vector<int64_t> rank_epoch_order(const EpochOrderSpec& spec, int64_t epoch);

/// The position of this rank's k-th sample in the padded global order (rank + k*world_size).
inline int64_t global_position(const EpochOrderSpec& spec, int64_t k) {
  return spec.rank + k * static_cast<int64_t>(spec.world_size);
}

/// Batches that mix two pools: each takes masked_per_batch samples from the masked pool's
/// order (rank_epoch_order of `masked`, drop_last applied to it) followed by
/// unmasked_per_batch from the unmasked pool's, which is cycled through in a new order per
/// pass as often as the epoch needs (so a small pool repeats, a large one is sampled). The
/// specs index their pools; `masked_ids` / `unmasked_ids` map pool positions to samples.
/// Returns this rank's samples, batch after batch (the last batch may lack masked samples).
struct MixedOrderSpec {
  EpochOrderSpec masked, unmasked;
  std::vector<int64_t> masked_ids, unmasked_ids;
  int64_t masked_per_batch = 1;
  int64_t unmasked_per_batch = 0;
  bool drop_last = false;
};

/// This rank's mixed order of `epoch` (see MixedOrderSpec).
std::vector<int64_t> mixed_rank_epoch_order(const MixedOrderSpec& spec, int64_t epoch);

}  // namespace fashionseg
