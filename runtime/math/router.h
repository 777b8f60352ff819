// Router evaluation: per token, how many slices a group of linears reads (format/model_weights.h
// has the router's formula).
#pragma once

#include <cstdint>

#include "format/model_weights.h"

namespace mobiq::math {

// scores: [n][kResidualPlanes] for x [n][router.in]. hidden_scratch: [router.hidden].
void router_scores(const RouterWeights& router, const float* x, int64_t n, float* hidden_scratch, float* scores);

// 1 + the longest prefix of `scores` ([kResidualPlanes]) at or above `threshold`.
inline uint8_t slices_from_scores(const float* scores, float threshold) {
  uint8_t k = 1;
  while (k <= kResidualPlanes && scores[k - 1] >= threshold) ++k;
  return k;
}

}  // namespace mobiq::math
