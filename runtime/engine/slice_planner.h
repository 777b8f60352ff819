// From an average budget (bits per sliced weight) to a slice plan for a model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "format/model_weights.h"

namespace mobiq {

enum class Routing : uint8_t {
  kRouted,  // the file's routers and thresholds (calibrated files); uniform slices otherwise
  kFixed,   // the file's fixed per-layer allocation for the budget (no per-token choice)
  kRandom,  // per token and group, a random slice count with the budget's mean
};

// Owns what its SlicePlan points into.
class OwnedSlicePlan {
 public:
  SlicePlan plan() const;
  const std::string& description() const { return description_; }  // "routed, thresholds at 3.00 bits"

 private:
  friend class SlicePlanner;
  SlicePlan::Mode mode_ = SlicePlan::Mode::kUniform;
  int32_t slices_ = 4;
  double random_mean_ = 4.0;
  uint64_t seed_ = 0;
  std::vector<float> thresholds_;
  std::vector<uint8_t> group_slices_;
  std::string description_;
};

class SlicePlanner {
 public:
  // `max_slices`: planes each linear holds (Model::max_slices()).
  SlicePlanner(const ModelWeights& weights, int32_t max_slices) : weights_(weights), max_slices_(max_slices) {}

  bool calibrated() const { return !weights_.budget_table.empty(); }

  // Budgets 2.0 .. 2 * max_slices. Routed on a calibrated file: the table's entry, or thresholds
  // interpolated between the two entries around `bits`; on a file without routers: the budget rounded
  // to whole slices. Fixed and random need a calibrated file (random only needs the mean).
  Result<OwnedSlicePlan> choose(double bits, Routing routing, uint64_t seed = 0) const;

 private:
  const ModelWeights& weights_;
  int32_t max_slices_;
};

}  // namespace mobiq
