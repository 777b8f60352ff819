// Dense int8 GEMM for token batches, NEON + i8mm: 8 interleaved rows x one group of 128 inputs x 2 or 4
// tokens, s8 x s8 through 2-row x 2-token smmla steps (exact int32; neon_i8mm_common.h). A single
// token (decode, or the last of an odd batch) runs the neon-dotprod kernel.
#include <arm_neon.h>

#include "backends/cpu/kernels/neon/neon_i8mm_common.h"
#include "backends/cpu/kernels/neon/neon_kernels.h"
#include "backends/cpu/kernels/tile_loops.h"

namespace mobiq::cpu::neon {
namespace {

template <int P>
void tile(const DenseQ8View& w, const QuantizedView& x, int64_t b, int64_t t0, float* y, int64_t y_stride) {
  constexpr int T = 2 * P;
  float32x4_t acc[T][2];
  for (int t = 0; t < T; ++t) acc[t][0] = acc[t][1] = vdupq_n_f32(0.0f);
  for (int64_t g = 0; g < w.groups; ++g) {
    const int64_t bg = b * w.groups + g;
    const int8_t* xg[T];
    for (int t = 0; t < T; ++t) xg[t] = x.codes + ((t0 + t) * x.groups + g) * kGroupInputs;
    int32x4_t dots[kRowBlock / 2][P];  // [row pair][token pair]
    for (auto& q : dots)
      for (int p = 0; p < P; ++p) q[p] = vdupq_n_s32(0);
    for (int c = 0; c < kGroupInputs / 16; ++c) {  // inputs 16c .. 16c + 15 of the group
      TokenPair xs[P];
      for (int p = 0; p < P; ++p) xs[p] = load_token_pair(xg[2 * p] + 16 * c, xg[2 * p + 1] + 16 * c);
      for (int q = 0; q < kRowBlock / 2; ++q) {
        const int8_t* row0 = w.codes + (bg * kRowBlock + 2 * q) * kGroupInputs + 16 * c;
        const int8x16_t r0 = vld1q_s8(row0), r1 = vld1q_s8(row0 + kGroupInputs);
        const int8x16_t wl = zip_lo(r0, r1), wh = zip_hi(r0, r1);
        for (int p = 0; p < P; ++p) {
          dots[q][p] = vmmlaq_s32(dots[q][p], wl, xs[p].lo);
          dots[q][p] = vmmlaq_s32(dots[q][p], wh, xs[p].hi);
        }
      }
    }
    for (int p = 0; p < P; ++p)
      for (int h = 0; h < 2; ++h) {
        const float32x4_t scale = vld1q_f32(w.scales + bg * kRowBlock + 4 * h);
        const int32x4_t by_token[2] = {rows4_of_even_token(dots[2 * h][p], dots[2 * h + 1][p]),
                                       rows4_of_odd_token(dots[2 * h][p], dots[2 * h + 1][p])};
        for (int j = 0; j < 2; ++j) {
          const int t = 2 * p + j;
          const float d = x.scales[(t0 + t) * x.groups + g];
          acc[t][h] = vfmaq_f32(acc[t][h], vmulq_n_f32(scale, d), vcvtq_f32_s32(by_token[j]));
        }
      }
  }
  for (int t = 0; t < T; ++t) store_rows8(acc[t], y + (t0 + t) * y_stride, b, w.out);
}

}  // namespace

void dense_q8_gemm_8x128__neon_i8mm(const DenseQ8View& w, const QuantizedView& x, int64_t block0, int64_t block1,
                                    float* y, int64_t y_stride) {
  if (x.tokens < 2) return dense_q8_gemv_8x128__neon_dotprod(w, x, block0, block1, y, y_stride);
  for_each_tile(x.tokens, block0, block1, [&](auto T, int64_t b, int64_t t0) {
    if constexpr (decltype(T)::value == 1)  // the odd last token, while the block is in cache
      dense_q8_gemv_8x128__neon_dotprod(w, one_token(x, t0), b, b + 1, y + t0 * y_stride, y_stride);
    else
      tile<decltype(T)::value / 2>(w, x, b, t0, y, y_stride);
  });
}

}  // namespace mobiq::cpu::neon
