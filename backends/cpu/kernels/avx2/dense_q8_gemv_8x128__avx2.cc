// Dense int8 GEMV/GEMM, AVX2: a tile is 8 interleaved rows x one group of 128 inputs x T tokens.
// s8 x s8 through vpmaddubsw (u8 x s8) with the sign trick: |x| x (w with x's sign); |x| is taken
// once per group and token, not per row (the per-row abs of w cost 4 of 20 ops). Codes are in
// [-127, 127], so a pair sums to at most 2 * 127 * 127 = 32258 < 2^15 and nothing saturates; each
// chunk's pairs are widened by vpmaddwd before the next is added.
#include <immintrin.h>

#include "backends/cpu/kernels/avx2/avx2_common.h"
#include "backends/cpu/kernels/avx2/avx2_kernels.h"
#include "backends/cpu/kernels/tile_loops.h"

namespace mobiq::cpu::avx2 {
namespace {

template <int T>
void tile(const DenseQ8View& w, const QuantizedView& x, int64_t b, int64_t t0, float* y, int64_t y_stride) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t g = 0; g < w.groups; ++g) {
    const int64_t bg = b * w.groups + g;
    // |x| and x once per group for all 8 rows: the sign goes onto w (sign(w, x)), so no per-row abs.
    __m256i xv[T][4], xabs[T][4];
    for (int t = 0; t < T; ++t) {
      const auto* xq = reinterpret_cast<const __m256i*>(x.codes + ((t0 + t) * x.groups + g) * kGroupInputs);
      for (int c = 0; c < 4; ++c) {
        xv[t][c] = _mm256_load_si256(xq + c);
        xabs[t][c] = _mm256_abs_epi8(xv[t][c]);
      }
    }
    __m256i rows[T][kRowBlock];
    for (int r = 0; r < kRowBlock; ++r) {
      const auto* wq = reinterpret_cast<const __m256i*>(w.codes + (bg * kRowBlock + r) * kGroupInputs);
      __m256i wv[4];
      for (int c = 0; c < 4; ++c) wv[c] = _mm256_load_si256(wq + c);
      for (int t = 0; t < T; ++t) {
        __m256i s = _mm256_setzero_si256();
        for (int c = 0; c < 4; ++c) {
          const __m256i pairs = _mm256_maddubs_epi16(xabs[t][c], _mm256_sign_epi8(wv[c], xv[t][c]));
          s = _mm256_add_epi32(s, _mm256_madd_epi16(pairs, ones));
        }
        rows[t][r] = s;
      }
    }
    const __m256 scale = _mm256_load_ps(w.scales + bg * kRowBlock);
    for (int t = 0; t < T; ++t) {
      const __m256i dot = sum_rows8(rows[t][0], rows[t][1], rows[t][2], rows[t][3], rows[t][4], rows[t][5],
                                    rows[t][6], rows[t][7]);
      const __m256 d = _mm256_set1_ps(x.scales[(t0 + t) * x.groups + g]);
      acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(scale, d), _mm256_cvtepi32_ps(dot), acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) store_rows8(acc[t], y + (t0 + t) * y_stride, b, w.out);
}

}  // namespace

void dense_q8_gemv_8x128__avx2(const DenseQ8View& w, const QuantizedView& x, int64_t block0, int64_t block1, float* y,
                               int64_t y_stride) {
  for_each_tile</*kPairs=*/false>(x.tokens, block0, block1, [&](auto T, int64_t b, int64_t t0) {
    tile<decltype(T)::value>(w, x, b, t0, y, y_stride);
  });
}

}  // namespace mobiq::cpu::avx2
