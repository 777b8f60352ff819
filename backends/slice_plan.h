// The slice plan: how many slice planes each token reads in each group of linears. It is executor
// state (Executor::set_plan), set when the budget changes and kept until the next change, so a device
// backend can hold it in device memory and replay a captured step without the host in the loop.
#pragma once

#include <cstdint>
#include <vector>

#include "format/model_config.h"
#include "format/model_weights.h"
#include "runtime/core/status.h"

namespace mobiq {

struct SlicePlan {
  enum class Mode : uint8_t {
    kUniform,   // every token, every group: `slices`
    kPerGroup,  // every token: group_slices[layer * kLinearGroups + group], each 1..4
    kExplicit,  // explicit_slices[(token * n_layers + layer) * kLinearGroups + group], each 1..4,
                // token counted from the first token of each forward pass
    kRouted,    // each group's router against thresholds[layer * kLinearGroups + group] + threshold_offset
    kRandom,    // each token and group independently: floor(m) or floor(m) + 1 slices, mean m = random_mean
  };
  Mode mode = Mode::kUniform;
  int32_t slices = 4;
  std::vector<uint8_t> group_slices;     // kPerGroup: [n_layers * kLinearGroups]
  std::vector<uint8_t> explicit_slices;  // kExplicit: [tokens * n_layers * kLinearGroups]
  std::vector<float> thresholds;         // kRouted: [n_layers * kLinearGroups], router score units
  float threshold_offset = 0.0f;         // kRouted: added to every threshold (a spend controller's knob)
  double random_mean = 4.0;              // kRandom: mean slice count, 1..4
  uint64_t random_seed = 0;              // kRandom: draws depend on (seed, position, layer, group) only
  int32_t max_slices = 4;                // a cap on every count (the planes kept resident)
};

// ok() when `plan` is well formed for a model of `config` (with routers when `has_routers`); for
// kExplicit the count of per-token entries is checked at each forward pass, not here.
Status validate_plan(const SlicePlan& plan, const ModelConfig& config, bool has_routers);

// True when every layer of `weights` has a router in every group.
bool has_all_routers(const ModelWeights& weights);

}  // namespace mobiq
