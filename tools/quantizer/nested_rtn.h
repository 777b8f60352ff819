// Nested round-to-nearest quantization: 8-bit asymmetric min/max RTN per row and group of kGroupSize
// inputs, its codes split into four 2-bit planes (format/slice_layout.h), so that keeping the first k
// planes is the same as truncating the 8-bit codes to their top 2k bits ("nested by truncation").
//
// Per group with weights w: lo = min(min w, 0), hi = max(max w, 0) (the range always holds 0, so the zero
// code is in 0..255 and exact in f16; for a group with weights of both signs this is plain min/max),
//   s8 = (hi - lo) / 255 rounded up to the next step with s = 64 * s8 exact in f16,
//   z8 = round(-lo / s8),  q = clamp(round(w / s8) + z8, 0, 255),
// and the layout's parameters are s = 64 * s8 and z = (z8 - 31.5) / 64, which make
// reconstruct_weight(first k codes) = (q_k 2^(8-2k) + (2^(8-2k) - 1) / 2 - z8) * s8 for every k.
// A group of zeros gets s = 0 and reconstructs to 0 at every k.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "format/model_weights.h"
#include "format/slice_layout.h"
#include "runtime/core/result.h"

namespace mobiq {

// 8-bit RTN parameters of one group.
struct Rtn8Params {
  float step = 0.0f;  // s8; 0 for a group of zeros
  int32_t zero = 0;   // z8, in 0..255
};

Rtn8Params rtn8_params(const float* weights, int64_t count);
uint8_t rtn8_code(float weight, const Rtn8Params& params);

// The layout's (s, z) for 8-bit parameters, as f16 bits.
uint16_t base_scale_f16(const Rtn8Params& params);
uint16_t base_zero_f16(const Rtn8Params& params);

// A quantized linear W [out][in]: owns the arrays a SlicedTensor views.
struct NestedRtnLinear {
  int64_t out = 0;
  int64_t in = 0;
  std::array<std::vector<uint8_t>, kMaxPlanes> planes;  // plane p: [out][packed_row_bytes(in)]
  std::vector<uint16_t> scales;                         // f16 [out][n_groups(in)]
  std::vector<uint16_t> zeros;                          // f16 [out][n_groups(in)]

  SlicedTensor view() const;  // all four planes
};

// Quantizes W [out][in] (row-major f32). kInvalidArgument for non-positive sizes, a non-finite weight,
// or a group whose range is too wide for an f16 scale.
Result<NestedRtnLinear> quantize_nested_rtn(const float* weights, int64_t out, int64_t in);

// Reconstructs W_k [out][in] from the first k planes of `sliced` (1 <= k <= sliced.n_planes) into `dst`.
void dequantize_sliced(const SlicedTensor& sliced, int k, float* dst);

}  // namespace mobiq
