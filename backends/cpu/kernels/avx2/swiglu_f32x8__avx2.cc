// SwiGLU's elementwise half, AVX2: gate = gate / (1 + e^-gate) * up, 8 lanes at a time with the
// vector exp of avx2_common.h (the scalar loop spends most of its time in libm's expf). The last
// n % 8 elements go through the same exp one lane at a time. Shapes: n = tokens * intermediate.
#include <immintrin.h>

#include "backends/cpu/kernels/avx2/avx2_common.h"
#include "backends/cpu/kernels/avx2/avx2_kernels.h"

namespace mobiq::cpu::avx2 {
namespace {

inline __m256 silu_times(__m256 g, __m256 u) {
  const __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), g));
  return _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), u);
}

}  // namespace

void swiglu_f32x8__avx2(float* gate, const float* up, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(gate + i, silu_times(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i)));
  for (; i < n; ++i) gate[i] = _mm256_cvtss_f32(silu_times(_mm256_set1_ps(gate[i]), _mm256_set1_ps(up[i])));
}

}  // namespace mobiq::cpu::avx2
