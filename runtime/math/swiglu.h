#pragma once

#include <cstdint>

namespace mobiq::math {

// gate[i] = silu(gate[i]) * up[i] for i < n (SwiGLU's elementwise half).
void swiglu(float* gate, const float* up, int64_t n);

}  // namespace mobiq::math
