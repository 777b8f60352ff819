// Dense symmetric positive-definite algebra for GPTQ, in double precision.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/core/status.h"

namespace mobiq {

// In place: a [n][n] SPD -> its lower Cholesky factor L (a = L L^T); the upper triangle is zeroed.
// kInvalidArgument naming the pivot when a is not positive definite.
Status cholesky_lower(std::vector<double>& a, int64_t n);

// The upper Cholesky factor U of inverse(a) (inverse(a) = U^T U), a [n][n] SPD. GPTQ walks U's rows.
Status inverse_cholesky_upper(std::vector<double> a, int64_t n, std::vector<double>& u);

}  // namespace mobiq
