#include "runtime/engine/threshold_scale.h"

#include <algorithm>
#include <numeric>

namespace mobiq {

ThresholdScale::ThresholdScale(const std::vector<BudgetEntry>& table) {
  for (const BudgetEntry& entry : table) {
    if (entry.thresholds.empty()) continue;
    if (!bits_.empty() && entry.bits <= bits_.back()) continue;  // a malformed table must not divide by 0
    bits_.push_back(entry.bits);
    levels_.push_back(std::accumulate(entry.thresholds.begin(), entry.thresholds.end(), 0.0) /
                      static_cast<double>(entry.thresholds.size()));
  }
}

double ThresholdScale::level(double bits) const {
  // The segment holding `bits`, or the end segment on its side.
  const auto upper = std::upper_bound(bits_.begin() + 1, bits_.end() - 1, bits);
  const size_t hi = static_cast<size_t>(upper - bits_.begin()), lo = hi - 1;
  const double slope = (levels_[hi] - levels_[lo]) / (bits_[hi] - bits_[lo]);
  return levels_[lo] + slope * (bits - bits_[lo]);
}

float ThresholdScale::offset(double bits, double correction) const {
  if (empty() || correction == 0.0) return 0.0f;
  return static_cast<float>(level(bits + correction) - level(bits));
}

}  // namespace mobiq
