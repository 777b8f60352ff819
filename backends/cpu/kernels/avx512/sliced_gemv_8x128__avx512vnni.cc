// Sliced GEMV/GEMM, AVX-512 VNNI: a tile is 8 interleaved rows x one group of 128 inputs x T tokens.
//
// Rows r and r+1 of a block are adjacent in each packed plane (kernel_views.h), so one 64-byte load
// holds a row pair's 32 bytes of a plane; each 32-byte input chunk f is broadcast to both halves.
// vpdpbusd multiplies u8 codes by s8 inputs and adds groups of 4 into int32 without saturation, so
// the whole k-plane code Q_k (up to 8 bits) goes in at once, with no 4-bit split as in the avx2 set.
// Per row pair and field f the code byte is built in registers (vpternlogd as a bit select):
//   k = 1: c0 = (a >> 2f) & 3
//   k = 2: nibbles 4 c0 + c1: lo = fields 0 | 2 << 4, hi = fields 1 | 3 << 4 (2 shifts, 2 selects)
//   k = 4: (4 c0 + c1) << 4 | (4 c2 + c3): the k = 2 nibbles of planes 0,1 and of planes 2,3, one
//          shift and one select per field
//   k = 3: the k = 4 code with plane 3 taken as 0, which is 4 Q_3: the epilogue divides by 4^3
//          instead of 4^2 and uses 4 m_3, both exact.
// One int32 accumulator per row pair and token; 4 per 8 rows, reduced once per group (avx512_common.h).
#include <immintrin.h>

#include "backends/cpu/kernels/avx512/avx512_common.h"
#include "backends/cpu/kernels/avx512/avx512_kernels.h"
#include "backends/cpu/kernels/tile_loops.h"

namespace mobiq::cpu::avx512 {
namespace {

constexpr int kSelect = 0xD8;  // vpternlogd: c ? b : a, bit by bit

inline __m512i bytes(int v) { return _mm512_set1_epi8(static_cast<char>(v)); }
inline __m512i select(__m512i a, __m512i b, __m512i mask) { return _mm512_ternarylogic_epi32(a, b, mask, kSelect); }

// Two planes as nibbles 4 a + b: lo holds fields 0 (low nibble) and 2, hi fields 1 and 3. 16-bit
// shifts are safe: every bit they move across a byte lands where the select takes the other input.
inline void nibbles(__m512i a, __m512i b, __m512i& lo, __m512i& hi) {
  const __m512i m33 = bytes(0x33);
  lo = select(_mm512_slli_epi16(a, 2), b, m33);
  hi = select(a, _mm512_srli_epi16(b, 2), m33);
}

// The u8 codes Q of fields 0..3 of one row pair's group.
template <int K>
inline void codes(const uint8_t* const* planes, int64_t offset, __m512i f[4]) {
  const auto load = [&](int p) { return _mm512_load_si512(planes[p] + offset); };
  if constexpr (K == 1) {
    const __m512i a = load(0), m3 = bytes(3);
    f[0] = _mm512_and_si512(a, m3);
    f[1] = _mm512_and_si512(_mm512_srli_epi16(a, 2), m3);
    f[2] = _mm512_and_si512(_mm512_srli_epi16(a, 4), m3);
    f[3] = _mm512_and_si512(_mm512_srli_epi16(a, 6), m3);
  } else if constexpr (K == 2) {
    __m512i lo, hi;
    nibbles(load(0), load(1), lo, hi);
    const __m512i m0f = bytes(0x0f);
    f[0] = _mm512_and_si512(lo, m0f);
    f[1] = _mm512_and_si512(hi, m0f);
    f[2] = _mm512_and_si512(_mm512_srli_epi16(lo, 4), m0f);
    f[3] = _mm512_and_si512(_mm512_srli_epi16(hi, 4), m0f);
  } else {
    __m512i lo01, hi01, lo23, hi23;
    nibbles(load(0), load(1), lo01, hi01);
    if constexpr (K == 4) {
      nibbles(load(2), load(3), lo23, hi23);
    } else {  // plane 3 = 0: nibbles(c, 0) is 4 c in each field's nibble
      const __m512i c = load(2), mcc = bytes(0xcc);
      lo23 = _mm512_and_si512(_mm512_slli_epi16(c, 2), mcc);
      hi23 = _mm512_and_si512(c, mcc);
    }
    const __m512i m0f = bytes(0x0f);
    f[0] = select(_mm512_slli_epi16(lo01, 4), lo23, m0f);
    f[1] = select(_mm512_slli_epi16(hi01, 4), hi23, m0f);
    f[2] = select(lo01, _mm512_srli_epi16(lo23, 4), m0f);
    f[3] = select(hi01, _mm512_srli_epi16(hi23, 4), m0f);
  }
}

// y rows of block b for tokens t0 .. t0+T-1.
template <int K, int T>
void tile(const SlicedBlocksView& w, const QuantizedView& x, int64_t b, int64_t t0, float* y, int64_t y_stride) {
  constexpr int kBits = 2 * (K == 3 ? 3 : K - 1);  // Q is read as 4^(K-1) units, or 4^3 for k = 3
  constexpr float kTop = static_cast<float>(1 << kBits);
  // m per row: kTop z + (4^(k-1) - 1) / 2, times 4 at k = 3 (the code there is 4 Q_3).
  constexpr float kScale = K == 3 ? 4.0f : 1.0f;
  constexpr float kOffset = 0.5f * (static_cast<float>(1 << (2 * (K - 1))) - 1.0f) * kScale;
  const __m256 top = _mm256_set1_ps(kTop), offset = _mm256_set1_ps(kOffset);
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t g = 0; g < w.groups; ++g) {
    const int64_t bg = b * w.groups + g;
    __m512i xb[T][4];
    for (int t = 0; t < T; ++t) {
      const int8_t* xq = x.codes + ((t0 + t) * x.groups + g) * kGroupInputs;
      for (int c = 0; c < 4; ++c)
        xb[t][c] = _mm512_broadcast_i64x4(_mm256_load_si256(reinterpret_cast<const __m256i*>(xq + c * kGroupBytes)));
    }
    __m512i pairs[T][4];
    for (int p = 0; p < 4; ++p) {
      __m512i f[4];
      codes<K>(w.planes, (bg * kRowBlock + 2 * p) * kGroupBytes, f);
      for (int t = 0; t < T; ++t) {
        __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), f[0], xb[t][0]);
        for (int c = 1; c < 4; ++c) s = _mm512_dpbusd_epi32(s, f[c], xb[t][c]);
        pairs[t][p] = s;
      }
    }
    const uint16_t* params = w.params + bg * 2 * kRowBlock;
    const __m256 scale = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(params)));
    const __m256 zero = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(params + kRowBlock)));
    const __m256 m = _mm256_fmadd_ps(zero, top, offset);
    for (int t = 0; t < T; ++t) {
      const int64_t at = (t0 + t) * x.groups + g;
      const __m256i dot = sum_row_pairs(pairs[t]);
      // dot - m * sum(xq): exact integers in, one rounding of m * sum out.
      const __m256 v = _mm256_fnmadd_ps(m, _mm256_set1_ps(static_cast<float>(x.sums[at])), _mm256_cvtepi32_ps(dot));
      acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(scale, _mm256_set1_ps(x.scales[at] / kTop)), v, acc[t]);
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

void sliced_gemv_8x128__avx512vnni(const SlicedBlocksView& w, int k, const QuantizedView& x, int64_t block0,
                                   int64_t block1, float* y, int64_t y_stride) {
  with_slice_count(k, [&](auto K) {
    for_each_tile(x.tokens, block0, block1, [&](auto T, int64_t b, int64_t t0) {
      tile<decltype(K)::value, decltype(T)::value>(w, x, b, t0, y, y_stride);
    });
  });
}

}  // namespace mobiq::cpu::avx512
