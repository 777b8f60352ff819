// The routers' threshold level as a function of bits, read off a calibrated budget table, so a spend
// controller can work in bits and hand the plan an offset in score units.
//
// Why one scalar is enough: the calibrator bisects one common level per budget and sets each group's
// threshold to that level minus a per-group constant, so between two entries every threshold moves by
// the same amount. Adding an offset to every threshold therefore slides along the table, and the
// table's own slope d(level)/d(bits) between neighbouring entries converts a correction in bits into
// that offset (piecewise, so the gain holds where the curve bends).
#pragma once

#include <vector>

#include "format/model_weights.h"

namespace mobiq {

class ThresholdScale {
 public:
  // Uses the table's routed entries (those with thresholds); fewer than two leave the scale empty.
  explicit ThresholdScale(const std::vector<BudgetEntry>& table);

  bool empty() const { return bits_.size() < 2; }
  // The offset that turns the thresholds the table gives `bits` into those it gives
  // `bits + correction`; past the first and last routed entries the end segments' slopes extend the
  // line. 0 when empty.
  float offset(double bits, double correction) const;

 private:
  double level(double bits) const;

  std::vector<double> bits_;    // routed entries' budgets, ascending
  std::vector<double> levels_;  // their mean threshold (any group would do; the mean is robust)
};

}  // namespace mobiq
