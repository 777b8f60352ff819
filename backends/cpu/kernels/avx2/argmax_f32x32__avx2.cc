// The index of the largest logit, AVX2: one pass for the maximum (4 accumulators of 8 lanes), one
// for the first index holding it (8 compares folded into one mask test per 32 values). Shapes: n =
// vocab (32000 for fixture-a, 128256 for Llama 3), 2 x 4 bytes per entry read from L2.
#include <immintrin.h>

#include "backends/cpu/kernels/avx2/avx2_common.h"
#include "backends/cpu/kernels/avx2/avx2_kernels.h"

namespace mobiq::cpu::avx2 {

int64_t argmax_f32x32__avx2(const float* x, int64_t n) {
  __m256 m[4];
  for (int c = 0; c < 4; ++c) m[c] = _mm256_set1_ps(x[0]);
  int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int c = 0; c < 4; ++c) m[c] = _mm256_max_ps(m[c], _mm256_loadu_ps(x + i + 8 * c));
  float max = horizontal_max_ps(_mm256_max_ps(_mm256_max_ps(m[0], m[1]), _mm256_max_ps(m[2], m[3])));
  for (; i < n; ++i) max = x[i] > max ? x[i] : max;

  const __m256 vm = _mm256_set1_ps(max);
  for (i = 0; i + 32 <= n; i += 32) {
    __m256 any = _mm256_cmp_ps(_mm256_loadu_ps(x + i), vm, _CMP_EQ_OQ);
    for (int c = 1; c < 4; ++c) any = _mm256_or_ps(any, _mm256_cmp_ps(_mm256_loadu_ps(x + i + 8 * c), vm, _CMP_EQ_OQ));
    if (_mm256_movemask_ps(any) != 0) break;
  }
  for (; i < n; ++i)
    if (x[i] == max) return i;
  // Only a NaN makes the maximum unfindable: then std::max_element's answer, written out (no std
  // templates here: a copy compiled with -mavx2 could be the one the linker keeps for baseline code).
  int64_t best = 0;
  for (i = 1; i < n; ++i)
    if (x[best] < x[i]) best = i;
  return best;
}

}  // namespace mobiq::cpu::avx2
