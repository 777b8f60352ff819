// One query head's attention, AVX2, f32 (the KV cache is f32): scores 8 keys at a time, the 8 dot
// products reduced together by one hadd tree (one reduction per 8 keys instead of one per key); the
// softmax with a vector exp; the weighted sum of values 64 dims (8 accumulators) at a time. Any
// head_dim: dims past the last multiple of 8 and keys past the last multiple of 8 take scalar tails.
// Shapes: head_dim 64 (fixture-a) or 128 (Llama), n_keys up to the context length.
#include <immintrin.h>

#include <cmath>

#include "backends/cpu/kernels/avx2/avx2_common.h"
#include "backends/cpu/kernels/avx2/avx2_kernels.h"

namespace mobiq::cpu::avx2 {
namespace {

float dot_tail(const float* a, const float* b, int64_t d0, int64_t hd) {
  float s = 0.0f;
  for (int64_t d = d0; d < hd; ++d) s += a[d] * b[d];
  return s;
}

// out[d0, d0 + 8V) = sum_j s[j] v_j[d0, d0 + 8V) * inv.
template <int V>
void weighted_values(const float* s, const float* v, int64_t stride, int64_t n, float inv, int64_t d0, float* out) {
  __m256 acc[V];
  for (int c = 0; c < V; ++c) acc[c] = _mm256_setzero_ps();
  for (int64_t j = 0; j < n; ++j) {
    const __m256 p = _mm256_broadcast_ss(s + j);
    const float* vj = v + j * stride + d0;
    for (int c = 0; c < V; ++c) acc[c] = _mm256_fmadd_ps(p, _mm256_loadu_ps(vj + 8 * c), acc[c]);
  }
  for (int c = 0; c < V; ++c) _mm256_storeu_ps(out + d0 + 8 * c, _mm256_mul_ps(acc[c], _mm256_set1_ps(inv)));
}

}  // namespace

void attend_8keys__avx2(const float* q, const float* k, const float* v, int64_t stride, int64_t n, int hd, float scale,
                        float* s, float* out) {
  const int64_t full = hd / 8 * 8;  // dims in whole vectors
  const __m256 vscale = _mm256_set1_ps(scale);
  __m256 vmax = _mm256_set1_ps(-INFINITY);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256 acc[8];
    for (int r = 0; r < 8; ++r) acc[r] = _mm256_setzero_ps();
    for (int64_t d = 0; d < full; d += 8) {
      const __m256 qd = _mm256_loadu_ps(q + d);
      for (int r = 0; r < 8; ++r) acc[r] = _mm256_fmadd_ps(qd, _mm256_loadu_ps(k + (j + r) * stride + d), acc[r]);
    }
    __m256 dots = sum_rows8_ps(acc);
    if (full < hd) {
      alignas(32) float tails[8];
      for (int r = 0; r < 8; ++r) tails[r] = dot_tail(q, k + (j + r) * stride, full, hd);
      dots = _mm256_add_ps(dots, _mm256_load_ps(tails));
    }
    dots = _mm256_mul_ps(dots, vscale);
    _mm256_storeu_ps(s + j, dots);
    vmax = _mm256_max_ps(vmax, dots);
  }
  float max = horizontal_max_ps(vmax);
  for (; j < n; ++j) {
    const float* kj = k + j * stride;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t d = 0; d < full; d += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), _mm256_loadu_ps(kj + d), acc);
    s[j] = (horizontal_sum_ps(acc) + dot_tail(q, kj, full, hd)) * scale;
    max = s[j] > max ? s[j] : max;
  }

  const __m256 vm = _mm256_set1_ps(max);
  __m256 vsum = _mm256_setzero_ps();
  for (j = 0; j + 8 <= n; j += 8) {
    const __m256 e = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(s + j), vm));
    _mm256_storeu_ps(s + j, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  float total = horizontal_sum_ps(vsum);
  for (; j < n; ++j) {
    s[j] = _mm256_cvtss_f32(exp_ps(_mm256_set1_ps(s[j] - max)));
    total += s[j];
  }

  const float inv = 1.0f / total;
  int64_t d = 0;
  for (; d + 64 <= full; d += 64) weighted_values<8>(s, v, stride, n, inv, d, out);
  for (; d < full; d += 8) weighted_values<1>(s, v, stride, n, inv, d, out);
  for (; d < hd; ++d) {
    float acc = 0.0f;
    for (j = 0; j < n; ++j) acc += s[j] * v[j * stride + d];
    out[d] = acc * inv;
  }
}

}  // namespace mobiq::cpu::avx2
