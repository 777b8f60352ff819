#pragma once

#include <cstdint>

#include "format/model_weights.h"

namespace mobiq::math {

// out[t] = x[t] / sqrt(mean(x[t]^2) + eps) * weight, for t < n; x, out: [n][dim]; weight: [dim].
// out may alias x.
void rms_norm(const float* x, const DenseTensor& weight, float eps, int64_t n, int64_t dim, float* out);

}  // namespace mobiq::math
