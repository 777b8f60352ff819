#include "runtime/math/tensor_read.h"

#include <cstring>

namespace mobiq::math {

void read_row(const DenseTensor& t, int64_t r, float* out) {
  const int64_t n = t.cols;
  switch (t.dtype) {
    case DType::kF32:
      std::memcpy(out, static_cast<const char*>(t.data) + r * n * sizeof(float), n * sizeof(float));
      return;
    case DType::kF16: {
      const char* src = static_cast<const char*>(t.data) + r * n * 2;  // any alignment: unaligned loads
      for (int64_t i = 0; i < n; ++i) out[i] = f16_to_f32(load_unaligned<uint16_t>(src, i));
      return;
    }
    case DType::kBF16: {
      // bf16 is the top half of an f32: widening is a shift, which vectorizes.
      const char* src = static_cast<const char*>(t.data) + r * n * 2;
      for (int64_t i = 0; i < n; ++i) {
        const uint32_t bits = static_cast<uint32_t>(load_unaligned<uint16_t>(src, i)) << 16;
        std::memcpy(out + i, &bits, sizeof bits);
      }
      return;
    }
    case DType::kQ8: {
      const int8_t* codes = t.q8_codes() + r * n;
      const float* scales = t.q8_scales() + r * n_groups(n);
      for (int64_t i = 0; i < n; ++i) out[i] = codes[i] * scales[i / kGroupSize];
      return;
    }
  }
}

}  // namespace mobiq::math
