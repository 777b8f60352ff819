#include "runtime/engine/slice_planner.h"

#include <algorithm>
#include <cmath>

#include "runtime/engine/precision.h"

namespace mobiq {

SlicePlan OwnedSlicePlan::plan() const {
  SlicePlan p;
  p.mode = mode_;
  p.slices = slices_;
  p.thresholds = thresholds_;
  p.group_slices = group_slices_;
  p.random_mean = random_mean_;
  p.random_seed = seed_;
  return p;
}

Result<OwnedSlicePlan> SlicePlanner::choose(double bits, Routing routing, uint64_t seed) const {
  MOBIQ_RETURN_IF_ERROR(check_budget_bits(bits, max_slices_));
  OwnedSlicePlan c;
  if (routing == Routing::kRandom) {
    c.mode_ = SlicePlan::Mode::kRandom;
    c.random_mean_ = bits / 2.0;
    c.seed_ = seed;
    c.description_ = "random slice counts, mean " + format_bits(bits) + " bits";
    return c;
  }
  const std::vector<BudgetEntry>& table = weights_.budget_table;
  if (table.empty()) {
    if (routing == Routing::kFixed) return unsupported("a fixed per-layer allocation needs a calibrated file");
    c.slices_ = std::clamp(static_cast<int32_t>(std::lround(bits / 2.0)), 1, max_slices_);
    c.description_ = "uniform " + std::to_string(c.slices_) + " slices (the file has no routers)";
    return c;
  }
  // The entries around `bits`: upper is the first at or above it.
  const auto upper = std::lower_bound(table.begin(), table.end(), bits,
                                      [](const BudgetEntry& p, double b) { return p.bits < b - 1e-6; });
  const BudgetEntry& hi = upper == table.end() ? table.back() : *upper;
  const BudgetEntry& lo = upper == table.begin() ? hi : *(upper - 1);
  const bool exact = std::fabs(hi.bits - bits) < 1e-6;
  const BudgetEntry& nearest = exact || std::fabs(hi.bits - bits) <= std::fabs(bits - lo.bits) ? hi : lo;

  const bool interpolate = !exact && !lo.thresholds.empty() && !hi.thresholds.empty();
  if (routing == Routing::kFixed || (!interpolate && nearest.thresholds.empty())) {
    c.mode_ = SlicePlan::Mode::kPerGroup;
    c.group_slices_ = nearest.fixed_slices;
    c.description_ = "fixed per-layer slices of the " + format_bits(nearest.bits) + "-bit entry";
    return c;
  }
  c.mode_ = SlicePlan::Mode::kRouted;
  if (!interpolate) {
    c.thresholds_ = nearest.thresholds;
    c.description_ = "routed, thresholds of the " + format_bits(nearest.bits) + "-bit entry";
    return c;
  }
  const double f = (bits - lo.bits) / (hi.bits - lo.bits);
  c.thresholds_.resize(lo.thresholds.size());
  for (size_t i = 0; i < c.thresholds_.size(); ++i)
    c.thresholds_[i] = static_cast<float>((1.0 - f) * lo.thresholds[i] + f * hi.thresholds[i]);
  c.description_ = "routed, thresholds between the " + format_bits(lo.bits) + " and " + format_bits(hi.bits) + "-bit entries";
  return c;
}

}  // namespace mobiq
