// Sliced GEMV/GEMM, AVX2: a tile is 8 interleaved rows x one group of 128 inputs x T tokens.
//
// Per row and group each plane is one 32-byte register; field f (bits 2f..2f+1 of every byte) holds
// the codes of columns 4b + f, which meet input chunk f of the de-interleaved quantized input. The
// k-plane code is assembled in integer registers, never as floats:
//   k = 1: c0                      (2-bit)   dot = D1(c0)
//   k = 2: 4 c0 + c1               (4-bit)   dot = D(pair01)
//   k = 3: 16 c0 + 4 c1 + c2                 dot = 4 D(pair01) + D1(c2)
//   k = 4: 64 c0 + 16 c1 + 4 c2 + c3         dot = 16 D(pair01) + D(pair23)
// D sums four vpmaddubsw (u8 code x s8 input -> s16 pairs) in int16: a 4-bit code gives at most
// 2 * 15 * 127 per pair, 4 * that = 15240 < 2^15, so nothing saturates; an 8-bit code would (255 *
// 127 * 2 > 2^15), hence the split into two 4-bit halves, weighted 16 : 1 by vpmaddwd into exact int32.
#include <immintrin.h>

#include "backends/cpu/kernels/avx2/avx2_common.h"
#include "backends/cpu/kernels/avx2/avx2_kernels.h"
#include "backends/cpu/kernels/tile_loops.h"

namespace mobiq::cpu::avx2 {
namespace {

// The four fields of one plane register as u8 codes 0..3.
inline void fields_single(__m256i a, __m256i f[4]) {
  const __m256i m3 = _mm256_set1_epi8(3);
  f[0] = _mm256_and_si256(a, m3);
  f[1] = _mm256_and_si256(_mm256_srli_epi16(a, 2), m3);
  f[2] = _mm256_and_si256(_mm256_srli_epi16(a, 4), m3);
  f[3] = _mm256_and_si256(_mm256_srli_epi16(a, 6), m3);
}

// The four fields of two planes combined as u8 codes 4 a + b (0..15). Both fields 0 and 2 go into
// one byte's two nibbles (lo), fields 1 and 3 likewise (hi), then the nibbles are split. 16-bit
// shifts are safe: every bit that crosses a byte is masked off.
inline void fields_pair(__m256i a, __m256i b, __m256i f[4]) {
  const __m256i m33 = _mm256_set1_epi8(0x33), mcc = _mm256_set1_epi8(static_cast<char>(0xcc));
  const __m256i m0f = _mm256_set1_epi8(0x0f);
  const __m256i lo = _mm256_or_si256(_mm256_slli_epi16(_mm256_and_si256(a, m33), 2), _mm256_and_si256(b, m33));
  const __m256i hi = _mm256_or_si256(_mm256_and_si256(a, mcc), _mm256_and_si256(_mm256_srli_epi16(b, 2), m33));
  f[0] = _mm256_and_si256(lo, m0f);
  f[1] = _mm256_and_si256(hi, m0f);
  f[2] = _mm256_and_si256(_mm256_srli_epi16(lo, 4), m0f);
  f[3] = _mm256_and_si256(_mm256_srli_epi16(hi, 4), m0f);
}

// One row's group: the code fields of the first K planes. K <= 2 fills `high` only.
template <int K>
struct Codes {
  __m256i high[4];
  __m256i low[4];
};

template <int K>
inline void decode(const uint8_t* const* planes, int64_t offset, Codes<K>& c) {
  const auto load = [&](int p) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(planes[p] + offset)); };
  if constexpr (K == 1) fields_single(load(0), c.high);
  if constexpr (K >= 2) fields_pair(load(0), load(1), c.high);
  if constexpr (K == 3) fields_single(load(2), c.low);
  if constexpr (K == 4) fields_pair(load(2), load(3), c.low);
}

// sum over 4 fields of maddubs(code, input chunk): int16 partial sums.
inline __m256i dot16(const __m256i f[4], const int8_t* xq) {
  const auto x = [&](int i) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(xq + i * kGroupBytes)); };
  __m256i s = _mm256_maddubs_epi16(f[0], x(0));
  s = _mm256_add_epi16(s, _mm256_maddubs_epi16(f[1], x(1)));
  s = _mm256_add_epi16(s, _mm256_maddubs_epi16(f[2], x(2)));
  return _mm256_add_epi16(s, _mm256_maddubs_epi16(f[3], x(3)));
}

// dot(Q_k, xq) of one row's group as 8 int32 partial sums.
template <int K>
inline __m256i dot32(const Codes<K>& c, const int8_t* xq) {
  const __m256i high = dot16(c.high, xq);
  if constexpr (K <= 2) {
    return _mm256_madd_epi16(high, _mm256_set1_epi16(1));
  } else {
    const __m256i weight = _mm256_set1_epi16(K == 3 ? 4 : 16);
    return _mm256_add_epi32(_mm256_madd_epi16(high, weight), _mm256_madd_epi16(dot16(c.low, xq), _mm256_set1_epi16(1)));
  }
}

// y rows of block b for tokens t0 .. t0+T-1.
template <int K, int T>
void tile(const SlicedBlocksView& w, const QuantizedView& x, int64_t b, int64_t t0, float* y, int64_t y_stride) {
  constexpr float kTop = static_cast<float>(1 << (2 * (K - 1)));  // 4^(k-1)
  const __m256 top = _mm256_set1_ps(kTop), offset = _mm256_set1_ps(0.5f * (kTop - 1.0f));
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t g = 0; g < w.groups; ++g) {
    const int64_t bg = b * w.groups + g;
    const int8_t* xq[T];
    for (int t = 0; t < T; ++t) xq[t] = x.codes + ((t0 + t) * x.groups + g) * kGroupInputs;
    __m256i rows[T][kRowBlock];
    for (int r = 0; r < kRowBlock; ++r) {
      Codes<K> c;
      decode<K>(w.planes, (bg * kRowBlock + r) * kGroupBytes, c);
      for (int t = 0; t < T; ++t) rows[t][r] = dot32<K>(c, xq[t]);
    }
    const uint16_t* params = w.params + bg * 2 * kRowBlock;
    const __m256 scale = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(params)));
    const __m256 zero = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(params + kRowBlock)));
    const __m256 m = _mm256_fmadd_ps(zero, top, offset);  // m_k per row
    for (int t = 0; t < T; ++t) {
      const int64_t at = (t0 + t) * x.groups + g;
      const __m256i dot = sum_rows8(rows[t][0], rows[t][1], rows[t][2], rows[t][3], rows[t][4], rows[t][5],
                                    rows[t][6], rows[t][7]);
      // dot - m * sum(xq): exact integers in, one rounding of m * sum out.
      const __m256 v = _mm256_fnmadd_ps(m, _mm256_set1_ps(static_cast<float>(x.sums[at])), _mm256_cvtepi32_ps(dot));
      acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(scale, _mm256_set1_ps(x.scales[at] / kTop)), v, acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) store_rows8(acc[t], y + (t0 + t) * y_stride, b, w.out);
}

}  // namespace

void sliced_gemv_8x128__avx2(const SlicedBlocksView& w, int k, const QuantizedView& x, int64_t block0, int64_t block1,
                             float* y, int64_t y_stride) {
  with_slice_count(k, [&](auto K) {
    for_each_tile(x.tokens, block0, block1, [&](auto T, int64_t b, int64_t t0) {
      tile<decltype(K)::value, decltype(T)::value>(w, x, b, t0, y, y_stride);
    });
  });
}

}  // namespace mobiq::cpu::avx2
