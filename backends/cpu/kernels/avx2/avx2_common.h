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
