#include "backends/slice_plan.h"

#include <cmath>
#include <string>

namespace mobiq {

Status validate_plan(const SlicePlan& plan, const ModelConfig& config, bool has_routers) {
  if (plan.max_slices < 1 || plan.max_slices > kMaxPlanes)
    return invalid_argument("slice plan: cap must be 1..4, got " + std::to_string(plan.max_slices));
  const size_t per_token = static_cast<size_t>(config.n_layers) * kLinearGroups;
  switch (plan.mode) {
    case SlicePlan::Mode::kUniform:
      if (plan.slices < 1 || plan.slices > kMaxPlanes)
        return invalid_argument("slice plan: slices must be 1..4, got " + std::to_string(plan.slices));
      return Status::Ok();
    case SlicePlan::Mode::kPerGroup:
      if (plan.group_slices.size() != per_token)
        return invalid_argument("slice plan: per-group plan has " + std::to_string(plan.group_slices.size()) +
                                " counts, needs " + std::to_string(per_token));
      for (uint8_t k : plan.group_slices)
        if (k < 1 || k > kMaxPlanes) return out_of_range("slice plan: per-group slice count outside 1..4");
      return Status::Ok();
    case SlicePlan::Mode::kExplicit:
      if (plan.explicit_slices.empty() || plan.explicit_slices.size() % per_token != 0)
        return invalid_argument("slice plan: explicit plan has " + std::to_string(plan.explicit_slices.size()) +
                                " counts, not a whole number of tokens of " + std::to_string(per_token));
      for (uint8_t k : plan.explicit_slices)
        if (k < 1 || k > kMaxPlanes) return out_of_range("slice plan: explicit slice count outside 1..4");
      return Status::Ok();
    case SlicePlan::Mode::kRouted:
      if (plan.thresholds.size() != per_token)
        return invalid_argument("slice plan: routed plan has " + std::to_string(plan.thresholds.size()) +
                                " thresholds, needs " + std::to_string(per_token));
      if (!has_routers) return invalid_argument("slice plan: routed plan on a model without routers");
      if (!std::isfinite(plan.threshold_offset)) return invalid_argument("slice plan: threshold offset is not finite");
      return Status::Ok();
    case SlicePlan::Mode::kRandom:
      if (!(plan.random_mean >= 1.0 && plan.random_mean <= kMaxPlanes))
        return invalid_argument("slice plan: random plan mean must be 1..4 slices");
      return Status::Ok();
  }
  return invalid_argument("slice plan: unknown mode");
}

bool has_all_routers(const ModelWeights& weights) {
  for (const LayerWeights& layer : weights.layers)
    for (const RouterWeights& router : layer.routers)
      if (!router.present()) return false;
  return !weights.layers.empty();
}

}  // namespace mobiq
