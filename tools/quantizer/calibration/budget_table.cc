#include "tools/quantizer/calibration/budget_table.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "runtime/math/router.h"

namespace mobiq {
namespace {

constexpr double kStep = 0.25, kMinBits = 2.0, kMaxBits = 8.0;

double total_weights(const BudgetTableInput& in) {
  return std::accumulate(in.group_weights.begin(), in.group_weights.end(), 0.0);
}

// Greedy per-layer allocation: from one slice everywhere, repeatedly give the next slice to the group
// whose next slice has the highest mean utility; the allocation on that path closest to `bits`.
std::vector<uint8_t> fixed_allocation(const BudgetTableInput& in, double bits) {
  const size_t groups = in.group_weights.size();
  std::vector<uint8_t> k(groups, 1), best = k;
  double best_gap = std::fabs(fixed_bits(in, k) - bits);
  for (;;) {
    size_t pick = groups;
    double pick_utility = -1.0;
    for (size_t g = 0; g < groups; ++g)
      if (k[g] < kMaxPlanes && in.mean_utility[g * kResidualPlanes + k[g] - 1] > pick_utility) {
        pick_utility = in.mean_utility[g * kResidualPlanes + k[g] - 1];
        pick = g;
      }
    if (pick == groups) break;
    ++k[pick];
    const double gap = std::fabs(fixed_bits(in, k) - bits);
    if (gap < best_gap) {
      best_gap = gap;
      best = k;
    }
  }
  return best;
}

// Router g's threshold for the level.
float group_threshold(const BudgetTableInput& in, double level, size_t g) {
  return static_cast<float>(in.score_offsets.empty() ? level : level - in.score_offsets[g]);
}

}  // namespace

double fixed_bits(const BudgetTableInput& in, const std::vector<uint8_t>& slices) {
  double bits = 0.0;
  for (size_t g = 0; g < slices.size(); ++g) bits += 2.0 * slices[g] * in.group_weights[g];
  return bits / total_weights(in);
}

double routed_bits(const BudgetTableInput& in, double level) {
  const size_t groups = in.group_weights.size();
  double bits = 0.0;
  for (size_t g = 0; g < groups; ++g) {
    const float threshold = group_threshold(in, level, g);
    for (int64_t t = 0; t < in.samples; ++t) {
      const float* s = in.scores.data() + (t * groups + g) * kResidualPlanes;
      bits += 2.0 * math::slices_from_scores(s, threshold) * in.group_weights[g];
    }
  }
  return bits / (total_weights(in) * static_cast<double>(in.samples)) + in.router_bits;
}

std::vector<MbqBudgetEntry> make_budget_table(const BudgetTableInput& in) {
  const size_t groups = in.group_weights.size();
  const auto [lo_it, hi_it] = std::minmax_element(in.scores.begin(), in.scores.end());
  const auto [lo_offset, hi_offset] = in.score_offsets.empty()
                                          ? std::pair{0.0, 0.0}
                                          : std::pair{*std::min_element(in.score_offsets.begin(), in.score_offsets.end()),
                                                      *std::max_element(in.score_offsets.begin(), in.score_offsets.end())};
  std::vector<MbqBudgetEntry> table;
  for (double budget = kMinBits; budget <= kMaxBits + 1e-9; budget += kStep) {
    MbqBudgetEntry e;
    e.budget_bits = static_cast<float>(budget);
    e.fixed_slices = fixed_allocation(in, budget);
    e.calibration_bits = static_cast<float>(fixed_bits(in, e.fixed_slices));
    // Routing pays its own cost; at the ends (all base, all slices) it has nothing to decide.
    const bool routable = budget > kMinBits + in.router_bits + 1e-9 && budget < kMaxBits - 1e-9;
    if (routable && !in.scores.empty()) {
      double lo = *lo_it + lo_offset - 1.0, hi = *hi_it + hi_offset + 1.0;  // bits fall as the level rises
      for (int i = 0; i < 60; ++i) {
        const double mid = 0.5 * (lo + hi);
        (routed_bits(in, mid) > budget ? lo : hi) = mid;
      }
      for (size_t g = 0; g < groups; ++g) e.thresholds.push_back(group_threshold(in, hi, g));
      e.calibration_bits = static_cast<float>(routed_bits(in, hi));
    }
    table.push_back(std::move(e));
  }
  return table;
}

}  // namespace mobiq
