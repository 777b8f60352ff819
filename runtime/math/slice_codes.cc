#include "runtime/math/slice_codes.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "format/slice_layout.h"
#include "runtime/core/half.h"

namespace mobiq::math {
namespace {

static_assert(std::endian::native == std::endian::little, "unpack_codes stores words as bytes");

// kSpread[b]: the four 2-bit codes of packed byte b, one per byte of a little-endian word.
constexpr std::array<uint32_t, 256> make_spread_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t b = 0; b < 256; ++b)
    for (uint32_t i = 0; i < 4; ++i) table[b] |= ((b >> (2 * i)) & 3u) << (8 * i);
  return table;
}
constexpr std::array<uint32_t, 256> kSpread = make_spread_table();

}  // namespace

GroupAffine group_affine(const SlicedTensor& w, int k, int64_t row, int64_t group) {
  const int64_t index = row * n_groups(w.in) + group;
  const float s = f16_to_f32(w.scales[index]);
  const float z = f16_to_f32(w.zeros[index]);
  const float top = static_cast<float>(1 << (2 * (k - 1)));  // 4^(k-1)
  return {s / top, z * top + 0.5f * (top - 1.0f)};
}

void unpack_codes(const SlicedTensor& w, int k, int64_t row, int64_t col0, int64_t n, uint8_t* q) {
  const int64_t row_bytes = packed_row_bytes(w.in);
  const int64_t first_byte = col0 / 4;
  const int64_t n_bytes = (n + 3) / 4;
  // Codes stay below 4^k <= 256, so shifting a word left by 2 never carries across its bytes.
  uint32_t words[kGroupSize / 4];
  for (int64_t b0 = 0; b0 < n_bytes; b0 += kGroupSize / 4) {
    const int64_t nb = std::min<int64_t>(kGroupSize / 4, n_bytes - b0);
    const uint8_t* plane0 = w.planes[0] + row * row_bytes + first_byte + b0;
    for (int64_t b = 0; b < nb; ++b) words[b] = kSpread[plane0[b]];
    for (int p = 1; p < k; ++p) {
      const uint8_t* plane = w.planes[p] + row * row_bytes + first_byte + b0;
      for (int64_t b = 0; b < nb; ++b) words[b] = (words[b] << 2) | kSpread[plane[b]];
    }
    const int64_t cols = std::min<int64_t>(nb * 4, n - b0 * 4);
    std::memcpy(q + b0 * 4, words, cols);  // little-endian: byte i of a word is column 4b+i
  }
}

void dequantize_row(const SlicedTensor& w, int k, int64_t row, float* out) {
  uint8_t q[kGroupSize];
  for (int64_t g = 0; g < n_groups(w.in); ++g) {
    const int64_t col0 = g * kGroupSize;
    const int64_t n = std::min<int64_t>(kGroupSize, w.in - col0);
    unpack_codes(w, k, row, col0, n, q);
    const GroupAffine a = group_affine(w, k, row, g);
    for (int64_t j = 0; j < n; ++j) out[col0 + j] = a.step * (static_cast<float>(q[j]) - a.offset);
  }
}

}  // namespace mobiq::math
