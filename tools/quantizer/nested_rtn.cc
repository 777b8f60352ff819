#include "tools/quantizer/nested_rtn.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "runtime/core/half.h"

namespace mobiq {
namespace {

constexpr float kBaseStepsPerCode = 64.0f;  // s = 64 * s8: one base code spans 64 eight-bit codes
constexpr float kZeroOffset = 31.5f;        // z = (z8 - 31.5) / 64, see nested_rtn.h

// The smallest f16 >= x (x finite, >= 0), as bits; 0x7c00 (infinity) when x exceeds the f16 range.
uint16_t f16_round_up(float x) {
  uint16_t h = f32_to_f16(x);
  if (f16_to_f32(h) < x) ++h;
  return h;
}

}  // namespace

Rtn8Params rtn8_params(const float* weights, int64_t count) {
  float lo = 0.0f;
  float hi = 0.0f;
  for (int64_t i = 0; i < count; ++i) {
    lo = std::min(lo, weights[i]);
    hi = std::max(hi, weights[i]);
  }
  Rtn8Params p;
  if (hi == lo) return p;  // all zeros: step 0 reconstructs 0
  const float scale = f16_to_f32(f16_round_up((hi - lo) / 255.0f * kBaseStepsPerCode));
  p.step = scale / kBaseStepsPerCode;  // exact: a power-of-two division of an f16 value
  p.zero = static_cast<int32_t>(std::clamp(std::nearbyint(-lo / p.step), 0.0f, 255.0f));
  return p;
}

uint8_t rtn8_code(float weight, const Rtn8Params& params) {
  if (params.step == 0.0f) return 0;
  const float q = std::nearbyint(weight / params.step) + static_cast<float>(params.zero);
  return static_cast<uint8_t>(std::clamp(q, 0.0f, 255.0f));
}

uint16_t base_scale_f16(const Rtn8Params& params) { return f32_to_f16(params.step * kBaseStepsPerCode); }

uint16_t base_zero_f16(const Rtn8Params& params) {
  return f32_to_f16((static_cast<float>(params.zero) - kZeroOffset) / kBaseStepsPerCode);
}

SlicedTensor NestedRtnLinear::view() const {
  SlicedTensor v;
  v.out = out;
  v.in = in;
  v.n_planes = kMaxPlanes;
  for (int p = 0; p < kMaxPlanes; ++p) v.planes[p] = planes[p].data();
  v.scales = scales.data();
  v.zeros = zeros.data();
  return v;
}

Result<NestedRtnLinear> quantize_nested_rtn(const float* weights, int64_t out, int64_t in) {
  if (out <= 0 || in <= 0) return invalid_argument("quantize_nested_rtn: out and in must be positive");
  NestedRtnLinear q;
  q.out = out;
  q.in = in;
  const int64_t row_bytes = packed_row_bytes(in);
  const int64_t groups = n_groups(in);
  for (auto& plane : q.planes) plane.assign(static_cast<size_t>(out * row_bytes), 0);
  q.scales.resize(static_cast<size_t>(out * groups));
  q.zeros.resize(static_cast<size_t>(out * groups));

  for (int64_t r = 0; r < out; ++r) {
    const float* row = weights + r * in;
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t begin = g * kGroupSize;
      const int64_t count = std::min<int64_t>(kGroupSize, in - begin);
      for (int64_t c = begin; c < begin + count; ++c)
        if (!std::isfinite(row[c]))
          return invalid_argument("weight at row " + std::to_string(r) + ", column " + std::to_string(c) +
                                  " is not finite");
      const Rtn8Params params = rtn8_params(row + begin, count);
      const uint16_t scale = base_scale_f16(params);
      if (!std::isfinite(f16_to_f32(scale)))
        return invalid_argument("row " + std::to_string(r) + ", group " + std::to_string(g) +
                                ": weight range too wide for an f16 scale");
      q.scales[r * groups + g] = scale;
      q.zeros[r * groups + g] = base_zero_f16(params);
      for (int64_t c = begin; c < begin + count; ++c) {
        const uint8_t code = rtn8_code(row[c], params);
        for (int p = 0; p < kMaxPlanes; ++p)
          q.planes[p][r * row_bytes + (c >> 2)] |= static_cast<uint8_t>(plane_code(code, p) << (2 * (c & 3)));
      }
    }
  }
  return q;
}

void dequantize_sliced(const SlicedTensor& sliced, int k, float* dst) {
  const int64_t row_bytes = packed_row_bytes(sliced.in);
  const int64_t groups = n_groups(sliced.in);
  for (int64_t r = 0; r < sliced.out; ++r) {
    for (int64_t c = 0; c < sliced.in; ++c) {
      uint8_t codes[kMaxPlanes] = {};
      for (int p = 0; p < k; ++p) codes[p] = packed_code(sliced.planes[p] + r * row_bytes, c);
      const int64_t g = r * groups + c / kGroupSize;
      dst[r * sliced.in + c] =
          reconstruct_weight(codes, k, f16_to_f32(sliced.scales[g]), f16_to_f32(sliced.zeros[g]));
    }
  }
}

}  // namespace mobiq
