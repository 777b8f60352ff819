// Small NEON helpers shared by the neon translation units. Internal linkage only (anonymous
// namespace): every includer is compiled with the set's -march flags.
#pragma once

#include <arm_neon.h>

#include <cstdint>

#include "backends/cpu/kernels/kernel_views.h"

namespace mobiq::cpu::neon {
namespace {

// vshrq_n_u8 needs an immediate: the four 2-bit fields of a plane byte are unrolled by F.
template <int F>
inline uint8x16_t field_shift(uint8x16_t a) {
  if constexpr (F == 0) {
    return a;
  } else {
    return vshrq_n_u8(a, 2 * F);
  }
}

// The nested code Q_k = sum_{p<k} c_p 4^(k-1-p) of field F of 16 plane bytes, in u8 lanes (0..4^k - 1):
// plane 0's field masked, each later plane shifted in with vsli (dst keeps its low 2 bits, src lands above).
template <int K, int F>
inline uint8x16_t nested_codes(const uint8x16_t* planes) {
  uint8x16_t q = vandq_u8(field_shift<F>(planes[0]), vdupq_n_u8(3));
  for (int p = 1; p < K; ++p) q = vsliq_n_u8(field_shift<F>(planes[p]), q, 2);  // (q << 2) | (c_p & 3)
  return q;
}

// Token t of x alone (one token, same groups): the single-token fallback of the batched kernels.
inline QuantizedView one_token(const QuantizedView& x, int64_t t) {
  return {x.codes + t * x.groups * kGroupInputs, x.scales + t * x.groups, x.sums + t * x.groups, 1, x.groups};
}

// Rows 4h .. 4h + 3 of a packed group's f16 params (kernel_views.h), as the epilogue of every sliced
// kernel uses them (kernels.h): the base step s and m_k = 4^(k-1) z + (4^(k-1) - 1) / 2, with
// top = 4^(k-1).
struct RowAffine4 {
  float32x4_t scale;
  float32x4_t m;
};
inline RowAffine4 row_affine4(const uint16_t* params, int h, float top) {
  const float32x4_t scale = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(params + 4 * h)));
  const float32x4_t zero = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(params + kRowBlock + 4 * h)));
  return {scale, vfmaq_n_f32(vdupq_n_f32(0.5f * (top - 1.0f)), zero, top)};
}

// Four int32x4 row accumulators -> one vector whose lane r is the sum of rows[r].
inline int32x4_t sum_rows4(int32x4_t r0, int32x4_t r1, int32x4_t r2, int32x4_t r3) {
  return vpaddq_s32(vpaddq_s32(r0, r1), vpaddq_s32(r2, r3));
}

// Writes rows block * 8 + r (r < 8) that exist (< out); acc[0] holds rows 0-3, acc[1] rows 4-7.
inline void store_rows8(const float32x4_t acc[2], float* y, int64_t block, int64_t out) {
  float* dst = y + block * kRowBlock;
  if ((block + 1) * kRowBlock <= out) {
    vst1q_f32(dst, acc[0]);
    vst1q_f32(dst + 4, acc[1]);
    return;
  }
  float lanes[kRowBlock];
  vst1q_f32(lanes, acc[0]);
  vst1q_f32(lanes + 4, acc[1]);
  for (int64_t r = 0; block * kRowBlock + r < out; ++r) dst[r] = lanes[r];
}

}  // namespace
}  // namespace mobiq::cpu::neon
