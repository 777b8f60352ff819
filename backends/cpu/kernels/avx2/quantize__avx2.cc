// Activation quantization, AVX2: per token and group of 128, d = max|x| / 127, codes round(x / d)
// (round to nearest even, as lrint in the scalar set: the two produce identical codes), stored
// de-interleaved (chunk f, byte b = column 4b + f; kernel_views.h).
#include <immintrin.h>

#include <cstring>

#include "backends/cpu/kernels/avx2/avx2_kernels.h"

namespace mobiq::cpu::avx2 {
namespace {

// 32 columns as int32 (4 vectors of 8) -> 32 int8 in column order.
inline __m256i pack32(const __m256i q[4]) {
  const __m256i words = _mm256_packs_epi32(q[0], q[1]);  // lanes hold columns 0-3 8-11 | 4-7 12-15
  const __m256i words2 = _mm256_packs_epi32(q[2], q[3]);
  const __m256i bytes = _mm256_packs_epi16(words, words2);  // dwords: cols 0 8 16 24 | 4 12 20 28 (x4)
  return _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// 128 int8 in column order (4 vectors of 32) -> de-interleaved chunks out[f] (byte b = column 4b + f).
inline void deinterleave(const __m256i natural[4], int8_t* out) {
  const __m256i by_field = _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, 0, 4, 8, 12, 1, 5,
                                            9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  const __m256i fields_first = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  __m256i r[4];  // r[c]: qword f = field f of bytes 8c .. 8c+7
  for (int c = 0; c < 4; ++c)
    r[c] = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(natural[c], by_field), fields_first);
  // r[c] = [c.f0, c.f1 | c.f2, c.f3]: transpose the 4 x 4 qwords.
  const __m256i lo01 = _mm256_unpacklo_epi64(r[0], r[1]), hi01 = _mm256_unpackhi_epi64(r[0], r[1]);
  const __m256i lo23 = _mm256_unpacklo_epi64(r[2], r[3]), hi23 = _mm256_unpackhi_epi64(r[2], r[3]);
  auto* dst = reinterpret_cast<__m256i*>(out);
  _mm256_store_si256(dst + 0, _mm256_permute2x128_si256(lo01, lo23, 0x20));
  _mm256_store_si256(dst + 1, _mm256_permute2x128_si256(hi01, hi23, 0x20));
  _mm256_store_si256(dst + 2, _mm256_permute2x128_si256(lo01, lo23, 0x31));
  _mm256_store_si256(dst + 3, _mm256_permute2x128_si256(hi01, hi23, 0x31));
}

void quantize_group(const float* xg, int8_t* codes, float* scale, int32_t* sum) {
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  __m256 v[16];
  __m256 amax = _mm256_setzero_ps();
  for (int i = 0; i < 16; ++i) {
    v[i] = _mm256_loadu_ps(xg + 8 * i);
    amax = _mm256_max_ps(amax, _mm256_and_ps(v[i], abs_mask));
  }
  __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
  m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
  m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
  const float max = _mm_cvtss_f32(m4);
  const __m256 inv = _mm256_set1_ps(max > 0.0f ? 127.0f / max : 0.0f);
  const __m256i lo = _mm256_set1_epi32(-127), hi = _mm256_set1_epi32(127);
  __m256i total = _mm256_setzero_si256();
  __m256i natural[4];
  for (int c = 0; c < 4; ++c) {
    __m256i q[4];
    for (int i = 0; i < 4; ++i) {
      q[i] = _mm256_min_epi32(_mm256_max_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(v[4 * c + i], inv)), lo), hi);
      total = _mm256_add_epi32(total, q[i]);
    }
    natural[c] = pack32(q);
  }
  deinterleave(natural, codes);
  __m128i t4 = _mm_add_epi32(_mm256_castsi256_si128(total), _mm256_extracti128_si256(total, 1));
  t4 = _mm_add_epi32(t4, _mm_unpackhi_epi64(t4, t4));
  t4 = _mm_add_epi32(t4, _mm_shuffle_epi32(t4, 1));
  *sum = _mm_cvtsi128_si32(t4);
  *scale = max / 127.0f;
}

}  // namespace

void quantize__avx2(const float* x, int64_t n, int64_t in, int8_t* codes, float* scales, int32_t* sums) {
  const int64_t groups = (in + kGroupInputs - 1) / kGroupInputs;
  for (int64_t t = 0; t < n; ++t)
    for (int64_t g = 0; g < groups; ++g) {
      const float* xg = x + t * in + g * kGroupInputs;
      const int64_t len = in - g * kGroupInputs;
      const int64_t at = t * groups + g;
      if (len >= kGroupInputs) {
        quantize_group(xg, codes + at * kGroupInputs, scales + at, sums + at);
      } else {  // the short last group, zero-padded
        float padded[kGroupInputs] = {};
        std::memcpy(padded, xg, len * sizeof(float));
        quantize_group(padded, codes + at * kGroupInputs, scales + at, sums + at);
      }
    }
}

}  // namespace mobiq::cpu::avx2
