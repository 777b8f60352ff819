// Small AVX2 helpers shared by the avx2 translation units. Internal linkage only (anonymous
// namespace): every includer is compiled with -mavx2, and no copy may escape to baseline code.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "backends/cpu/kernels/kernel_views.h"

namespace mobiq::cpu::avx2 {
namespace {

// Eight int32 vectors -> one whose lane r is the sum of all lanes of rows[r]: hadd tree, then the
// two 128-bit halves (lanes 0-3 and 4-7 of every row) added.
inline __m256i sum_rows8(__m256i r0, __m256i r1, __m256i r2, __m256i r3, __m256i r4, __m256i r5, __m256i r6,
                         __m256i r7) {
  const __m256i q0 = _mm256_hadd_epi32(_mm256_hadd_epi32(r0, r1), _mm256_hadd_epi32(r2, r3));
  const __m256i q1 = _mm256_hadd_epi32(_mm256_hadd_epi32(r4, r5), _mm256_hadd_epi32(r6, r7));
  return _mm256_add_epi32(_mm256_permute2x128_si256(q0, q1, 0x20), _mm256_permute2x128_si256(q0, q1, 0x31));
}

// The float version of sum_rows8: lane r of the result is the sum of all lanes of rows[r].
inline __m256 sum_rows8_ps(const __m256 rows[8]) {
  const __m256 q0 = _mm256_hadd_ps(_mm256_hadd_ps(rows[0], rows[1]), _mm256_hadd_ps(rows[2], rows[3]));
  const __m256 q1 = _mm256_hadd_ps(_mm256_hadd_ps(rows[4], rows[5]), _mm256_hadd_ps(rows[6], rows[7]));
  return _mm256_add_ps(_mm256_permute2f128_ps(q0, q1, 0x20), _mm256_permute2f128_ps(q0, q1, 0x31));
}

inline float horizontal_sum_ps(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

inline float horizontal_max_ps(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
}

// e^x per lane, within a few ulp for x in [-86, 88]; x is clamped there (below, e^-86 ~ 4e-38 stands
// for 0; above, e^88 ~ 1.7e38 for infinity), which keeps 2^n a normal float. x = n ln2 + r with
// |r| <= ln2 / 2; e^r by its degree-6 Taylor polynomial (truncation r^7 / 7! < 1.2e-7 relative);
// 2^n added straight into the exponent bits. ln2 is split so that n * ln2_hi is exact for |n| <= 128.
inline __m256 exp_ps(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-86.0f)), _mm256_set1_ps(88.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504089f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187e-6f), r);
  __m256 p = _mm256_set1_ps(1.0f / 720.0f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i exponent = _mm256_slli_epi32(_mm256_cvtps_epi32(n), 23);
  return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(p), exponent));
}

// Writes the 8 rows of acc (lane r = row block * 8 + r) that exist (< out).
inline void store_rows8(__m256 acc, float* y, int64_t block, int64_t out) {
  float* dst = y + block * kRowBlock;
  if ((block + 1) * kRowBlock <= out) {
    _mm256_storeu_ps(dst, acc);
    return;
  }
  alignas(32) float lanes[kRowBlock];
  _mm256_store_ps(lanes, acc);
  for (int64_t r = 0; block * kRowBlock + r < out; ++r) dst[r] = lanes[r];
}

}  // namespace
}  // namespace mobiq::cpu::avx2
