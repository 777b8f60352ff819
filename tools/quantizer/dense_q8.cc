#include "tools/quantizer/dense_q8.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "runtime/core/half.h"

namespace mobiq {
namespace {

// Element i of a float tensor read with memcpy: a file's bytes may sit at any alignment.
float element(const DenseTensor& w, int64_t i) {
  const auto* bytes = static_cast<const uint8_t*>(w.data);
  if (w.dtype == DType::kF32) {
    float v;
    std::memcpy(&v, bytes + i * 4, 4);
    return v;
  }
  uint16_t h;
  std::memcpy(&h, bytes + i * 2, 2);
  return w.dtype == DType::kBF16 ? bf16_to_f32(h) : f16_to_f32(h);
}

}  // namespace

std::vector<uint8_t> quantize_dense_q8(const DenseTensor& w) {
  const int64_t rows = w.rows, cols = w.cols, groups = n_groups(cols);
  std::vector<uint8_t> out(static_cast<size_t>(dense_bytes(DType::kQ8, rows, cols)));
  uint8_t* scales = out.data();
  uint8_t* codes = out.data() + rows * groups * 4;
  std::vector<float> row(cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < cols; ++i) row[i] = element(w, r * cols + i);
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t begin = g * kGroupSize, end = std::min(cols, begin + kGroupSize);
      float max_abs = 0.0f;
      for (int64_t i = begin; i < end; ++i) max_abs = std::max(max_abs, std::fabs(row[i]));
      const float scale = max_abs / 127.0f;
      const float inverse = scale > 0.0f ? 1.0f / scale : 0.0f;
      std::memcpy(scales + (r * groups + g) * 4, &scale, 4);
      for (int64_t i = begin; i < end; ++i) {
        const long q = std::lround(row[i] * inverse);
        codes[r * cols + i] = static_cast<uint8_t>(static_cast<int8_t>(std::clamp<long>(q, -127, 127)));
      }
    }
  }
  return out;
}

}  // namespace mobiq
