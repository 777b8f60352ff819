// How far a backend's output is from the reference, the one measure the op tests state their bounds
// in: per row of `width` values, ||actual - expected|| / ||expected|| (L2), the worst row.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace mobiq::test {

// n values in rows of `width` (n a multiple of it; width == n: the whole vector as one row).
inline double worst_row_relative_error(const float* actual, const float* expected, size_t n, size_t width) {
  double worst = 0.0;
  for (size_t r = 0; r < n / width; ++r) {
    double diff = 0.0, norm = 0.0;
    for (size_t i = r * width; i < (r + 1) * width; ++i) {
      diff += (double(actual[i]) - expected[i]) * (double(actual[i]) - expected[i]);
      norm += double(expected[i]) * expected[i];
    }
    worst = std::max(worst, std::sqrt(diff / std::max(norm, 1e-30)));
  }
  return worst;
}

}  // namespace mobiq::test
