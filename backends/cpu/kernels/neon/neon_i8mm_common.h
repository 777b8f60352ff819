// Helpers of the neon-i8mm translation units (compiled with -march=armv8.2-a+dotprod+i8mm); internal
// linkage only, as in neon_common.h.
//
// The matrix multiply-accumulate instructions (FEAT_I8MM) take two registers of 2 x 8 bytes each:
//   smmla / usmmla  acc[2i + j] += sum_{e<8} a[8i + e] * b[8j + e]   (i, j = 0, 1)
// Here a holds two weight rows (8 inputs of each) and b two tokens (the same 8 inputs of each), so
// one instruction is a 2-row x 2-token tile of depth 8: lanes (row 0, token 0), (row 0, token 1),
// (row 1, token 0), (row 1, token 1). Two registers holding 16 consecutive inputs of row (token) 0 and
// of row (token) 1 become the pair of operands for inputs 0-7 and 8-15 by a 64-bit zip; the inputs of
// a group keep the de-interleaved order of kernel_views.h, which the weights and the input share.
#pragma once

#include <arm_neon.h>

#include "backends/cpu/kernels/neon/neon_common.h"

namespace mobiq::cpu::neon {
namespace {

// {a[0..7], b[0..7]} and {a[8..15], b[8..15]}.
inline int8x16_t zip_lo(int8x16_t a, int8x16_t b) {
  return vreinterpretq_s8_s64(vzip1q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
}
inline int8x16_t zip_hi(int8x16_t a, int8x16_t b) {
  return vreinterpretq_s8_s64(vzip2q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
}
inline uint8x16_t zip_lo(uint8x16_t a, uint8x16_t b) {
  return vreinterpretq_u8_u64(vzip1q_u64(vreinterpretq_u64_u8(a), vreinterpretq_u64_u8(b)));
}
inline uint8x16_t zip_hi(uint8x16_t a, uint8x16_t b) {
  return vreinterpretq_u8_u64(vzip2q_u64(vreinterpretq_u64_u8(a), vreinterpretq_u64_u8(b)));
}

// Two tokens' inputs [at, at + 16) as the b operands for inputs at..at+7 (lo) and at+8..at+15 (hi).
struct TokenPair {
  int8x16_t lo, hi;
};
inline TokenPair load_token_pair(const int8_t* x0, const int8_t* x1) {
  const int8x16_t a = vld1q_s8(x0), b = vld1q_s8(x1);
  return {zip_lo(a, b), zip_hi(a, b)};
}

// A tile's int32 sums, 2 x 2 per register (row pair q, token pair p: lanes as above), to one vector
// per token of rows 4h..4h+3: uzp1 keeps the even-token lanes of row pairs 2h and 2h + 1, uzp2 the odd.
inline int32x4_t rows4_of_even_token(int32x4_t pair0, int32x4_t pair1) { return vuzp1q_s32(pair0, pair1); }
inline int32x4_t rows4_of_odd_token(int32x4_t pair0, int32x4_t pair1) { return vuzp2q_s32(pair0, pair1); }

}  // namespace
}  // namespace mobiq::cpu::neon
