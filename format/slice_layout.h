// The byte layout of a sliced linear layer: how 2-bit codes are packed into planes and how a
// group's scale and zero point turn k planes back into weights. Every backend's kernel reads this
// layout; it is part of the .mbq format (format/SLICE_LAYOUT.md has the same rules with pictures).
//
// A weight matrix W is [out][in] (row-major, a row per output feature). Along each row the inputs
// are cut into groups of kGroupSize consecutive columns (the last group of a row may be shorter).
//
// Codes. Each weight has four 2-bit codes c_0..c_3, one per plane. Plane 0 is the base slice;
// planes 1..3 are the residual slices. Together they read as one 8-bit code
//   q = c_0 * 64 + c_1 * 16 + c_2 * 4 + c_3,
// so the first k planes are q with its 8 - 2k least significant bits dropped ("truncation-ready").
//
// Packing. Plane p of W is `out` rows of packed_row_bytes(in) bytes. Byte b of a row holds the
// codes of columns 4b .. 4b+3, column 4b+i in bits 2i..2i+1 (little end first). Padding codes in
// the last byte of a row are 0.
//
// Group parameters. Per row and group: a scale s (the base slice's step) and a zero point z (in
// base-code units, not necessarily integral), both IEEE f16, stored as two [out][n_groups(in)]
// arrays. Reading the first k planes reconstructs
//   w_k = s * ( (c_0 - z) + sum_{p=1}^{k-1} (c_p - 1.5) / 4^p ),
// i.e. residual slice p has step s / 4^p and its zero point fixed at the midpoint code 1.5, so
// every truncated weight sits at the centre of the bucket its dropped bits span. One shared scale
// per group serves every k, and a kernel computes y = W_k x per group as
//   s * sum_{p<k} 4^-p * ( dot(c_p, x) - m_p * sum(x) ),  m_0 = z, m_p = 1.5.
#pragma once

#include <cstdint>

namespace mobiq {

inline constexpr int kGroupSize = 128;  // inputs per (scale, zero) pair
inline constexpr int kMaxPlanes = 4;    // 2-bit base + three 2-bit residuals = 8 bits
inline constexpr int kBitsPerPlane = 2;
inline constexpr float kResidualZero = 1.5f;  // m_p for p >= 1

inline constexpr int64_t packed_row_bytes(int64_t in) { return (in + 3) / 4; }
inline constexpr int64_t n_groups(int64_t in) { return (in + kGroupSize - 1) / kGroupSize; }

// The 2-bit code of plane `plane` (0 = most significant) inside an 8-bit nested code.
inline constexpr uint8_t plane_code(uint8_t q8, int plane) {
  return static_cast<uint8_t>((q8 >> (6 - 2 * plane)) & 3u);
}

// The code of column `col` in one packed plane row.
inline uint8_t packed_code(const uint8_t* row, int64_t col) {
  return static_cast<uint8_t>((row[col >> 2] >> (2 * (col & 3))) & 3u);
}

// Weight scale of plane p: 4^-p.
inline constexpr float plane_weight(int plane) { return 1.0f / static_cast<float>(1 << (2 * plane)); }

// The weight a group reconstructs from its first k codes (codes[p] for p < k).
inline float reconstruct_weight(const uint8_t* codes, int k, float scale, float zero) {
  float acc = static_cast<float>(codes[0]) - zero;
  for (int p = 1; p < k; ++p) acc += (static_cast<float>(codes[p]) - kResidualZero) * plane_weight(p);
  return scale * acc;
}

}  // namespace mobiq
