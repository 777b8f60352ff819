#include "runtime/math/swiglu.h"

#include <cmath>

namespace mobiq::math {

void swiglu(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

}  // namespace mobiq::math
