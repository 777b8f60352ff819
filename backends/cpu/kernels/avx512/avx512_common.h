// Small AVX-512 helpers shared by the avx512-vnni translation units. Internal linkage only
// (anonymous namespace): every includer is compiled with the AVX-512 flags, and no copy may escape
// to baseline code.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "backends/cpu/kernels/kernel_views.h"

namespace mobiq::cpu::avx512 {
namespace {

// Four int32 zmm whose 256-bit halves are rows (r[i] = [row 2i | row 2i+1], 8 partial sums each) ->
// one ymm whose lane r is row r's total. Two unpack/add rounds sum within 128-bit lanes, one
// shuffle/add folds the lanes of each row, one permute puts the rows in order (12 ops for 8 rows).
inline __m256i sum_row_pairs(const __m512i r[4]) {
  const __m512i t01 = _mm512_add_epi32(_mm512_unpacklo_epi32(r[0], r[1]), _mm512_unpackhi_epi32(r[0], r[1]));
  const __m512i t23 = _mm512_add_epi32(_mm512_unpacklo_epi32(r[2], r[3]), _mm512_unpackhi_epi32(r[2], r[3]));
  // Per 128-bit lane L: [r0, r1, r2, r3] partial sums over lane L of each register.
  const __m512i u = _mm512_add_epi32(_mm512_unpacklo_epi64(t01, t23), _mm512_unpackhi_epi64(t01, t23));
  // Lanes 0+1 hold rows 0, 2, 4, 6; lanes 2+3 rows 1, 3, 5, 7.
  const __m512i v = _mm512_add_epi32(u, _mm512_shuffle_i32x4(u, u, _MM_SHUFFLE(2, 3, 0, 1)));
  const __m512i order = _mm512_setr_epi32(0, 8, 1, 9, 2, 10, 3, 11, 0, 0, 0, 0, 0, 0, 0, 0);
  return _mm512_castsi512_si256(_mm512_permutexvar_epi32(order, v));
}

// Eight int32 zmm, one row each (16 partial sums) -> one ymm whose lane r is row r's total.
inline __m256i sum_rows8(const __m512i r[8]) {
  __m512i t[4];
  for (int i = 0; i < 4; ++i)
    t[i] = _mm512_add_epi32(_mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]), _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]));
  // Per 128-bit lane: [r0 r1 r2 r3] and [r4 r5 r6 r7] partial sums.
  const __m512i u0 = _mm512_add_epi32(_mm512_unpacklo_epi64(t[0], t[1]), _mm512_unpackhi_epi64(t[0], t[1]));
  const __m512i u1 = _mm512_add_epi32(_mm512_unpacklo_epi64(t[2], t[3]), _mm512_unpackhi_epi64(t[2], t[3]));
  // [u0.l0 + u0.l2, u0.l1 + u0.l3, u1.l0 + u1.l2, u1.l1 + u1.l3]
  const __m512i s = _mm512_add_epi32(_mm512_shuffle_i32x4(u0, u1, _MM_SHUFFLE(1, 0, 1, 0)),
                                     _mm512_shuffle_i32x4(u0, u1, _MM_SHUFFLE(3, 2, 3, 2)));
  const __m512i v = _mm512_add_epi32(s, _mm512_shuffle_i32x4(s, s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm512_castsi512_si256(_mm512_shuffle_i32x4(v, v, _MM_SHUFFLE(2, 0, 2, 0)));
}

}  // namespace
}  // namespace mobiq::cpu::avx512
