// Turning k slice planes of a row back into nested codes and weights (format/slice_layout.h).
#pragma once

#include <cstdint>

#include "format/model_weights.h"

namespace mobiq::math {

// A group's weights with k planes are w = step * (q_k - offset), q_k the k-plane code in
// [0, 4^k). From the layout's w_k = s * ((c_0 - z) + sum_p (c_p - 1.5) / 4^p):
//   step = s / 4^(k-1),  offset = z * 4^(k-1) + 0.5 * (4^(k-1) - 1).
struct GroupAffine {
  float step;
  float offset;
};
GroupAffine group_affine(const SlicedTensor& w, int k, int64_t row, int64_t group);

// q[j] = k-plane code of column col0 + j of `row`, for j < n. col0 must be a multiple of 4.
// Shift-and-add of the planes, four codes at a time in the bytes of a 32-bit word.
void unpack_codes(const SlicedTensor& w, int k, int64_t row, int64_t col0, int64_t n, uint8_t* q);

// Row `row` of W with k planes, as f32: out[in].
void dequantize_row(const SlicedTensor& w, int k, int64_t row, float* out);

}  // namespace mobiq::math
