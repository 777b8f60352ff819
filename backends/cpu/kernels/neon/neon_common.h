// Small NEON helpers shared by the neon translation units. Internal linkage only (anonymous
// namespace): every includer is compiled with the set's -march flags.
#pragma once

#include <arm_neon.h>

#include <cstdint>

#include "backends/cpu/kernels/kernel_views.h"

namespace mobiq::cpu::neon {
namespace {

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
