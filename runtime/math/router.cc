#include "runtime/math/router.h"

#include <algorithm>
#include <cmath>

#include "runtime/math/vector_math.h"

namespace mobiq::math {

void router_scores(const RouterWeights& router, const float* x, int64_t n, float* hidden, float* scores) {
  const int64_t in = router.in;
  const int h = router.hidden;
  for (int64_t t = 0; t < n; ++t) {
    const float* xt = x + t * in;
    const float mean_square = dot(xt, xt, in) / static_cast<float>(in);
    const float inv_rms = 1.0f / std::sqrt(mean_square + 1e-20f);
    const float energy = std::log(mean_square + 1e-20f);
    for (int j = 0; j < h; ++j)
      hidden[j] = std::max(0.0f, dot(router.w1 + int64_t{j} * in, xt, in) * inv_rms + router.b1[j]);
    for (int e = 0; e < kResidualPlanes; ++e) {
      const float* w = router.w2 + e * (h + 1);
      scores[t * kResidualPlanes + e] = dot(w, hidden, h) + w[h] * energy + router.b2[e];
    }
  }
}

}  // namespace mobiq::math
