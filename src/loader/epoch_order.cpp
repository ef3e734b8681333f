#include "loader/epoch_order.h"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>

#include "fashionseg/random.h"

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
