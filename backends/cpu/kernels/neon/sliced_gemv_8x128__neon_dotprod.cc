// Sliced GEMV/GEMM, NEON + dotprod: a tile is 8 interleaved rows x one group of 128 inputs x T
// tokens. A row's group of one plane is two 16-byte registers (bytes 0-15, 16-31); field f of them
// (bits 2f..2f+1) meets input chunk f. The k-plane code of every field is built with shift-and-insert
// (vsli) in u8 lanes:
//   k = 1, 2, 3: Q_k <= 63 is a valid s8, so sdot(Q_k, x) is the exact dot directly;
//   k = 4: Q_4 <= 255 is not, so the kernel dots Q_4 - 128 (= Q_4 ^ 0x80 as s8) and adds 128 sum(x),
//          exact in int32.
#include <arm_neon.h>

#include "backends/cpu/kernels/neon/neon_common.h"
#include "backends/cpu/kernels/neon/neon_kernels.h"
#include "backends/cpu/kernels/tile_loops.h"

namespace mobiq::cpu::neon {
namespace {

// Q_k of field F as s8 for sdot (Q_k - 128 at k = 4).
template <int K, int F>
inline int8x16_t field_codes(const uint8x16_t* planes) {
  uint8x16_t q = nested_codes<K, F>(planes);
  if constexpr (K == 4) q = veorq_u8(q, vdupq_n_u8(0x80));
  return vreinterpretq_s8_u8(q);
}

// dot(Q_k, xq) (minus 128 sum(xq) at k = 4) of one row's group as 4 int32 partial sums.
template <int K>
inline int32x4_t row_dot(const uint8_t* const* planes, int64_t offset, const int8_t* xq) {
  int32x4_t acc = vdupq_n_s32(0);
  for (int half = 0; half < 2; ++half) {
    uint8x16_t p[K];
    for (int i = 0; i < K; ++i) p[i] = vld1q_u8(planes[i] + offset + 16 * half);
    const int8_t* x = xq + 16 * half;
    acc = vdotq_s32(acc, field_codes<K, 0>(p), vld1q_s8(x));
    acc = vdotq_s32(acc, field_codes<K, 1>(p), vld1q_s8(x + kGroupBytes));
    acc = vdotq_s32(acc, field_codes<K, 2>(p), vld1q_s8(x + 2 * kGroupBytes));
    acc = vdotq_s32(acc, field_codes<K, 3>(p), vld1q_s8(x + 3 * kGroupBytes));
  }
  return acc;
}

template <int K, int T>
void tile(const SlicedBlocksView& w, const QuantizedView& x, int64_t b, int64_t t0, float* y, int64_t y_stride) {
  constexpr float kTop = static_cast<float>(1 << (2 * (K - 1)));  // 4^(k-1)
  float32x4_t acc[T][2];
  for (int t = 0; t < T; ++t) acc[t][0] = acc[t][1] = vdupq_n_f32(0.0f);
  for (int64_t g = 0; g < w.groups; ++g) {
    const int64_t bg = b * w.groups + g;
    int32x4_t rows[T][kRowBlock];
    for (int r = 0; r < kRowBlock; ++r)
      for (int t = 0; t < T; ++t)
        rows[t][r] = row_dot<K>(w.planes, (bg * kRowBlock + r) * kGroupBytes,
                                x.codes + ((t0 + t) * x.groups + g) * kGroupInputs);
    const uint16_t* params = w.params + bg * 2 * kRowBlock;
    const RowAffine4 affine[2] = {row_affine4(params, 0, kTop), row_affine4(params, 1, kTop)};
    for (int t = 0; t < T; ++t) {
      const int64_t at = (t0 + t) * x.groups + g;
      const int32x4_t shift = vdupq_n_s32(K == 4 ? 128 * x.sums[at] : 0);
      const float32x4_t xsum = vdupq_n_f32(static_cast<float>(x.sums[at]));
      const float d = x.scales[at] / kTop;
      for (int h = 0; h < 2; ++h) {
        const int32x4_t dot = vaddq_s32(sum_rows4(rows[t][4 * h], rows[t][4 * h + 1], rows[t][4 * h + 2], rows[t][4 * h + 3]), shift);
        const float32x4_t v = vfmsq_f32(vcvtq_f32_s32(dot), affine[h].m, xsum);  // dot - m * sum(xq)
        acc[t][h] = vfmaq_f32(acc[t][h], vmulq_n_f32(affine[h].scale, d), v);
      }
    }
  }
  for (int t = 0; t < T; ++t) store_rows8(acc[t], y + (t0 + t) * y_stride, b, w.out);
}

}  // namespace

void sliced_gemv_8x128__neon_dotprod(const SlicedBlocksView& w, int k, const QuantizedView& x, int64_t block0,
                                     int64_t block1, float* y, int64_t y_stride) {
  with_slice_count(k, [&](auto K) {
    for_each_tile(x.tokens, block0, block1, [&](auto T, int64_t b, int64_t t0) {
      tile<decltype(K)::value, decltype(T)::value>(w, x, b, t0, y, y_stride);
    });
  });
}

}  // namespace mobiq::cpu::neon
