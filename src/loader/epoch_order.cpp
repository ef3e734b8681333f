#include "loader/epoch_order.h"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>

#include "fashionseg/data/random.h"

namespace fashionseg {
namespace {

// The order's stream is kept apart from the per-sample streams, which use positions >= 0.
constexpr uint64_t kOrderStream = ~uint64_t{0};

std::vector<int64_t> weighted_draws(const std::vector<double>& weights, int64_t draws,
                                    std::mt19937_64& rng) {
  std::vector<double> cumulative(weights.size());
  std::partial_sum(weights.begin(), weights.end(), cumulative.begin());
  const double total = cumulative.back();
  std::vector<int64_t> order(static_cast<size_t>(draws));
  for (auto& index : order) {
    const double u = uniform01(rng) * total;
    // upper_bound: the first sample whose cumulative weight exceeds u, so zero-weight samples
    // (whose cumulative equals the previous one) are never drawn.
    auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
    if (it == cumulative.end()) --it;                           // u rounding up to total
    while (it != cumulative.begin() && *it == *(it - 1)) --it;  // never land on weight 0
    index = it - cumulative.begin();
  }
  return order;
}

}  // namespace

std::vector<int64_t> global_epoch_order(const EpochOrderSpec& spec, int64_t epoch) {
  std::mt19937_64 rng(derive_seed(spec.seed, static_cast<uint64_t>(epoch), kOrderStream));
  if (!spec.weights.empty()) {
    return weighted_draws(spec.weights, spec.draws > 0 ? spec.draws : spec.num_samples, rng);
  }
  std::vector<int64_t> order(static_cast<size_t>(spec.num_samples));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (spec.shuffle) {
    // Fisher-Yates with a portable bounded draw (std::shuffle differs between libraries).
    for (int64_t i = spec.num_samples - 1; i > 0; --i) {
      std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(uniform_int(rng, 0, i))]);
    }
  }
  return order;
}

std::vector<int64_t> rank_epoch_order(const EpochOrderSpec& spec, int64_t epoch) {
  const std::vector<int64_t> global = global_epoch_order(spec, epoch);
  if (global.empty()) return {};
  const int64_t world = spec.world_size;
  const int64_t per_rank = (static_cast<int64_t>(global.size()) + world - 1) / world;
  std::vector<int64_t> mine(static_cast<size_t>(per_rank));
  for (int64_t k = 0; k < per_rank; ++k) {
    const int64_t position = global_position(spec, k);
    mine[static_cast<size_t>(k)] = global[static_cast<size_t>(position) % global.size()];
  }
  return mine;
}

}  // namespace fashionseg

namespace fashionseg {

std::vector<int64_t> mixed_rank_epoch_order(const MixedOrderSpec& spec, int64_t epoch) {
  const int64_t per_masked = spec.masked_per_batch, per_unmasked = spec.unmasked_per_batch;
  const std::vector<int64_t> masked = rank_epoch_order(spec.masked, epoch);
  const int64_t n = static_cast<int64_t>(masked.size());
  const int64_t batches = spec.drop_last ? n / per_masked : (n + per_masked - 1) / per_masked;
  // The unmasked pool is cycled through as often as the batches need, each pass in a new
  // order of its own (a stream apart from the masked pool's).
  std::vector<int64_t> unmasked;
  const size_t needed = static_cast<size_t>(batches * per_unmasked);
  for (uint64_t pass = 0; unmasked.size() < needed; ++pass) {
    EpochOrderSpec pass_spec = spec.unmasked;
    pass_spec.seed = derive_seed(spec.unmasked.seed, 0x756e6d61736b6564ull, pass);
    const std::vector<int64_t> part = rank_epoch_order(pass_spec, epoch);
    if (part.empty()) break;
    unmasked.insert(unmasked.end(), part.begin(), part.end());
  }
  std::vector<int64_t> order;
  order.reserve(static_cast<size_t>(batches * (per_masked + per_unmasked)));
  for (int64_t b = 0; b < batches; ++b) {
    for (int64_t k = b * per_masked; k < std::min(n, (b + 1) * per_masked); ++k) {
      order.push_back(spec.masked_ids[static_cast<size_t>(masked[static_cast<size_t>(k)])]);
    }
    for (int64_t k = b * per_unmasked; k < (b + 1) * per_unmasked; ++k) {
      if (static_cast<size_t>(k) < unmasked.size()) {
        order.push_back(spec.unmasked_ids[static_cast<size_t>(unmasked[static_cast<size_t>(k)])]);
      }
    }
  }
  return order;
}

}  // namespace fashionseg
