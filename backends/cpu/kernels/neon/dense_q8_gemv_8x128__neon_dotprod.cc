// Dense int8 GEMV/GEMM, NEON + dotprod: 8 interleaved rows x one group of 128 inputs x T tokens,
// s8 x s8 straight through sdot (exact int32).
#include <arm_neon.h>

#include "backends/cpu/kernels/neon/neon_common.h"
#include "backends/cpu/kernels/neon/neon_kernels.h"
#include "backends/cpu/kernels/tile_loops.h"

namespace mobiq::cpu::neon {
namespace {

template <int T>
void tile(const DenseQ8View& w, const QuantizedView& x, int64_t b, int64_t t0, float* y, int64_t y_stride) {
  float32x4_t acc[T][2];
  for (int t = 0; t < T; ++t) acc[t][0] = acc[t][1] = vdupq_n_f32(0.0f);
  for (int64_t g = 0; g < w.groups; ++g) {
    const int64_t bg = b * w.groups + g;
    int32x4_t rows[T][kRowBlock];
    for (int r = 0; r < kRowBlock; ++r) {
      const int8_t* wq = w.codes + (bg * kRowBlock + r) * kGroupInputs;
      int8x16_t wv[8];
      for (int c = 0; c < 8; ++c) wv[c] = vld1q_s8(wq + 16 * c);
      for (int t = 0; t < T; ++t) {
        const int8_t* xq = x.codes + ((t0 + t) * x.groups + g) * kGroupInputs;
        int32x4_t s = vdupq_n_s32(0);
        for (int c = 0; c < 8; ++c) s = vdotq_s32(s, wv[c], vld1q_s8(xq + 16 * c));
        rows[t][r] = s;
      }
    }
    for (int t = 0; t < T; ++t) {
      const float d = x.scales[(t0 + t) * x.groups + g];
      for (int h = 0; h < 2; ++h) {
        const int32x4_t dot = sum_rows4(rows[t][4 * h], rows[t][4 * h + 1], rows[t][4 * h + 2], rows[t][4 * h + 3]);
        const float32x4_t scale = vmulq_n_f32(vld1q_f32(w.scales + bg * kRowBlock + 4 * h), d);
        acc[t][h] = vfmaq_f32(acc[t][h], scale, vcvtq_f32_s32(dot));
      }
    }
  }
  for (int t = 0; t < T; ++t) store_rows8(acc[t], y + (t0 + t) * y_stride, b, w.out);
}

}  // namespace

void dense_q8_gemv_8x128__neon_dotprod(const DenseQ8View& w, const QuantizedView& x, int64_t block0, int64_t block1,
                                       float* y, int64_t y_stride) {
  for_each_tile</*kPairs=*/false>(x.tokens, block0, block1, [&](auto T, int64_t b, int64_t t0) {
    tile<decltype(T)::value>(w, x, b, t0, y, y_stride);
  });
}

}  // namespace mobiq::cpu::neon
