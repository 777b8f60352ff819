#include "backends/cpu/ops/rms_norm.h"

#include <cmath>

#include "backends/cpu/ops/tensor_read.h"
#include "backends/cpu/ops/vector_math.h"

namespace mobiq::cpu {

void rms_norm(const float* x, const DenseTensor& weight, float eps, int64_t n, int64_t dim, float* out) {
  for (int64_t t = 0; t < n; ++t) {
    const float* row = x + t * dim;
    const float mean_square = dot(row, row, dim) / static_cast<float>(dim);
    const float inv = 1.0f / std::sqrt(mean_square + eps);
    float* dst = out + t * dim;
    for (int64_t i = 0; i < dim; ++i) dst[i] = row[i] * inv * read_element(weight, i);
  }
}

}  // namespace mobiq::cpu
