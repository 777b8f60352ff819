// Sliced GEMM for token batches (prefill), NEON + i8mm: a tile is the 8 interleaved rows of a block x
// one group of 128 inputs x 2 or 4 tokens, made of 2-row x 2-token usmmla steps (neon_i8mm_common.h).
// The k-plane codes are built as in neon-dotprod (nested_codes: vsli in u8 lanes), but after a 64-bit
// zip of two rows' plane bytes, so each code register is already a row-pair operand. usmmla multiplies
// unsigned codes by signed inputs, so Q_4 (up to 255) needs no bias: dot(Q_k, xq) is exact in int32 at
// every k. The epilogue is neon-dotprod's: acc += s d / 4^(k-1) (dot - m_k sum(xq)).
// A single token (decode, or the last of an odd batch) runs the neon-dotprod kernel.
#include <arm_neon.h>

#include "backends/cpu/kernels/neon/neon_i8mm_common.h"
#include "backends/cpu/kernels/neon/neon_kernels.h"
#include "backends/cpu/kernels/tile_loops.h"

namespace mobiq::cpu::neon {
namespace {

// Field F of one row pair's zipped planes (lo: inputs 0-7 of the half, hi: 8-15) times every token pair.
template <int K, int F, int P>
inline void field_mmla(const uint8x16_t* lo, const uint8x16_t* hi, const TokenPair (*xs)[P], int32x4_t* dots) {
  const uint8x16_t wl = nested_codes<K, F>(lo), wh = nested_codes<K, F>(hi);
  for (int p = 0; p < P; ++p) {
    dots[p] = vusmmlaq_s32(dots[p], wl, xs[F][p].lo);
    dots[p] = vusmmlaq_s32(dots[p], wh, xs[F][p].hi);
  }
}

// Rows of block b x tokens t0 .. t0 + 2P - 1.
template <int K, int P>
void tile(const SlicedBlocksView& w, const QuantizedView& x, int64_t b, int64_t t0, float* y, int64_t y_stride) {
  constexpr int T = 2 * P;
  constexpr float kTop = static_cast<float>(1 << (2 * (K - 1)));  // 4^(k-1)
  float32x4_t acc[T][2];
  for (int t = 0; t < T; ++t) acc[t][0] = acc[t][1] = vdupq_n_f32(0.0f);
  for (int64_t g = 0; g < w.groups; ++g) {
    const int64_t bg = b * w.groups + g;
    const int8_t* xg[T];
    for (int t = 0; t < T; ++t) xg[t] = x.codes + ((t0 + t) * x.groups + g) * kGroupInputs;
    // The group's inputs as b operands, zipped once for the block's 8 rows: [half][field][token pair]
    // (bytes 16 half .. 16 half + 15 of input chunk field).
    TokenPair xs[2][4][P];
    for (int half = 0; half < 2; ++half)
      for (int f = 0; f < 4; ++f)
        for (int p = 0; p < P; ++p)
          xs[half][f][p] = load_token_pair(xg[2 * p] + f * kGroupBytes + 16 * half,
                                           xg[2 * p + 1] + f * kGroupBytes + 16 * half);
    const uint16_t* params = w.params + bg * 2 * kRowBlock;
    for (int h = 0; h < 2; ++h) {  // rows 4h .. 4h + 3: row pairs 2h and 2h + 1
      int32x4_t dots[2][P];        // [row pair][token pair]
      for (auto& q : dots)
        for (int p = 0; p < P; ++p) q[p] = vdupq_n_s32(0);
      for (int q = 0; q < 2; ++q)
        for (int half = 0; half < 2; ++half) {
          const int64_t at = (bg * kRowBlock + 4 * h + 2 * q) * kGroupBytes + 16 * half;
          uint8x16_t lo[K], hi[K];
          for (int i = 0; i < K; ++i) {
            const uint8x16_t r0 = vld1q_u8(w.planes[i] + at), r1 = vld1q_u8(w.planes[i] + at + kGroupBytes);
            lo[i] = zip_lo(r0, r1);
            hi[i] = zip_hi(r0, r1);
          }
          field_mmla<K, 0, P>(lo, hi, xs[half], dots[q]);
          field_mmla<K, 1, P>(lo, hi, xs[half], dots[q]);
          field_mmla<K, 2, P>(lo, hi, xs[half], dots[q]);
          field_mmla<K, 3, P>(lo, hi, xs[half], dots[q]);
        }
      const RowAffine4 affine = row_affine4(params, h, kTop);
      for (int p = 0; p < P; ++p) {
        const int32x4_t by_token[2] = {rows4_of_even_token(dots[0][p], dots[1][p]),
                                       rows4_of_odd_token(dots[0][p], dots[1][p])};
        for (int j = 0; j < 2; ++j) {
          const int t = 2 * p + j;
          const int64_t xa = (t0 + t) * x.groups + g;
          const float32x4_t xsum = vdupq_n_f32(static_cast<float>(x.sums[xa]));
          const float32x4_t v = vfmsq_f32(vcvtq_f32_s32(by_token[j]), affine.m, xsum);  // dot - m * sum(xq)
          acc[t][h] = vfmaq_f32(acc[t][h], vmulq_n_f32(affine.scale, x.scales[xa] / kTop), v);
        }
      }
    }
  }
  for (int t = 0; t < T; ++t) store_rows8(acc[t], y + (t0 + t) * y_stride, b, w.out);
}

}  // namespace

void sliced_gemm_8x128__neon_i8mm(const SlicedBlocksView& w, int k, const QuantizedView& x, int64_t block0,
                                  int64_t block1, float* y, int64_t y_stride) {
  if (x.tokens < 2) return sliced_gemv_8x128__neon_dotprod(w, k, x, block0, block1, y, y_stride);
  with_slice_count(k, [&](auto K) {
    constexpr int kSlices = decltype(K)::value;
    for_each_tile(x.tokens, block0, block1, [&](auto T, int64_t b, int64_t t0) {
      if constexpr (decltype(T)::value == 1)  // the odd last token, while the block is in cache
        sliced_gemv_8x128__neon_dotprod(w, kSlices, one_token(x, t0), b, b + 1, y + t0 * y_stride, y_stride);
      else
        tile<kSlices, decltype(T)::value / 2>(w, x, b, t0, y, y_stride);
    });
  });
}

}  // namespace mobiq::cpu::neon
