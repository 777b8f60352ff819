// Activation quantization, NEON (baseline Armv8 NEON, here compiled with the dotprod set's flags):
// identical codes to the scalar set (round to nearest even, as lrint). vld4q_u8 de-interleaves
// 64 bytes by 4 in one load, which is exactly the chunk-f-byte-b = column 4b + f order.
#include <arm_neon.h>

#include <cstring>

#include "backends/cpu/kernels/neon/neon_kernels.h"

namespace mobiq::cpu::neon {
namespace {

void quantize_group(const float* xg, int8_t* codes, float* scale, int32_t* sum) {
  float32x4_t v[32];
  float32x4_t amax = vdupq_n_f32(0.0f);
  for (int i = 0; i < 32; ++i) {
    v[i] = vld1q_f32(xg + 4 * i);
    amax = vmaxq_f32(amax, vabsq_f32(v[i]));
  }
  const float max = vmaxvq_f32(amax);
  const float32x4_t inv = vdupq_n_f32(max > 0.0f ? 127.0f / max : 0.0f);
  const int32x4_t lo = vdupq_n_s32(-127), hi = vdupq_n_s32(127);
  int32x4_t total = vdupq_n_s32(0);
  int8_t natural[kGroupInputs];
  for (int i = 0; i < 32; i += 2) {
    const int32x4_t q0 = vminq_s32(vmaxq_s32(vcvtnq_s32_f32(vmulq_f32(v[i], inv)), lo), hi);
    const int32x4_t q1 = vminq_s32(vmaxq_s32(vcvtnq_s32_f32(vmulq_f32(v[i + 1], inv)), lo), hi);
    total = vaddq_s32(total, vaddq_s32(q0, q1));
    const int16x8_t words = vcombine_s16(vmovn_s32(q0), vmovn_s32(q1));
    vst1_s8(natural + 4 * i, vmovn_s16(words));
  }
  for (int half = 0; half < 2; ++half) {  // columns 64 half .. 64 half + 63 = bytes b of 16 half ..
    const int8x16x4_t f = vld4q_s8(natural + 64 * half);
    for (int c = 0; c < 4; ++c) vst1q_s8(codes + c * kGroupBytes + 16 * half, f.val[c]);
  }
  *sum = vaddvq_s32(total);
  *scale = max / 127.0f;
}

}  // namespace

void quantize__neon(const float* x, int64_t n, int64_t in, int8_t* codes, float* scales, int32_t* sums) {
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

}  // namespace mobiq::cpu::neon
