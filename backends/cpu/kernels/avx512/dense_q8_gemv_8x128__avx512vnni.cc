// Dense int8 GEMV/GEMM, AVX-512 VNNI: a tile is 8 interleaved rows x one group of 128 inputs x T
// tokens. A row's 128 codes are two 64-byte registers meeting the input's two halves. vpdpbusd wants
// u8 x s8 and AVX-512 has no vpsignb, so the weights are made unsigned by flipping their sign bit
// (w ^ 0x80 = w + 128 in [1, 255]) and the 128 * sum(x) this adds is taken off the int32 dot, exactly
// (the quantized input keeps each group's code sum). 2 xor + 2 vpdpbusd per row and group, against
// 16 ops in the avx2 set.
#include <immintrin.h>

#include "backends/cpu/kernels/avx512/avx512_common.h"
#include "backends/cpu/kernels/avx512/avx512_kernels.h"
#include "backends/cpu/kernels/tile_loops.h"

namespace mobiq::cpu::avx512 {
namespace {

template <int T>
void tile(const DenseQ8View& w, const QuantizedView& x, int64_t b, int64_t t0, float* y, int64_t y_stride) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t g = 0; g < w.groups; ++g) {
    const int64_t bg = b * w.groups + g;
    __m512i xv[T][2];
    for (int t = 0; t < T; ++t) {
      const int8_t* xq = x.codes + ((t0 + t) * x.groups + g) * kGroupInputs;
      xv[t][0] = _mm512_load_si512(xq);
      xv[t][1] = _mm512_load_si512(xq + 64);
    }
    __m512i rows[T][kRowBlock];
    for (int r = 0; r < kRowBlock; ++r) {
      const int8_t* wq = w.codes + (bg * kRowBlock + r) * kGroupInputs;
      const __m512i w0 = _mm512_xor_si512(_mm512_load_si512(wq), flip);
      const __m512i w1 = _mm512_xor_si512(_mm512_load_si512(wq + 64), flip);
      for (int t = 0; t < T; ++t)
        rows[t][r] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), w0, xv[t][0]), w1, xv[t][1]);
    }
    const __m256 scale = _mm256_load_ps(w.scales + bg * kRowBlock);
    for (int t = 0; t < T; ++t) {
      const int64_t at = (t0 + t) * x.groups + g;
      const __m256i dot = _mm256_sub_epi32(sum_rows8(rows[t]), _mm256_set1_epi32(128 * x.sums[at]));
      acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(scale, _mm256_set1_ps(x.scales[at])), _mm256_cvtepi32_ps(dot), acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) {
    float* dst = y + (t0 + t) * y_stride + b * kRowBlock;
    const int64_t rows = w.out - b * kRowBlock;
    if (rows >= kRowBlock) {
      _mm256_storeu_ps(dst, acc[t]);
    } else {
      _mm256_mask_storeu_ps(dst, static_cast<__mmask8>((1u << rows) - 1), acc[t]);
    }
  }
}

}  // namespace

void dense_q8_gemv_8x128__avx512vnni(const DenseQ8View& w, const QuantizedView& x, int64_t block0, int64_t block1,
                                     float* y, int64_t y_stride) {
  for_each_tile</*kPairs=*/false>(x.tokens, block0, block1, [&](auto T, int64_t b, int64_t t0) {
    tile<decltype(T)::value>(w, x, b, t0, y, y_stride);
  });
}

}  // namespace mobiq::cpu::avx512
