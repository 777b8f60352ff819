// Random dense and sliced weights for kernel tests, built straight from format/slice_layout.h (not
// through the quantizer, so a kernel and the quantizer cannot share one misreading of the layout).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "format/model_weights.h"
#include "format/slice_layout.h"
#include "runtime/core/half.h"

namespace mobiq::test {

// Owns the bytes a SlicedTensor points into.
struct RandomSliced {
  std::vector<std::vector<uint8_t>> planes;  // [kMaxPlanes][out * packed_row_bytes(in)]
  std::vector<uint16_t> scales, zeros;       // f16 [out][n_groups(in)]
  std::vector<uint8_t> codes;                // [out][in] the 8-bit nested codes
  SlicedTensor view;

  RandomSliced(int64_t out, int64_t in, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> code(0, 255);
    std::uniform_real_distribution<float> scale(0.01f, 0.1f), zero(-0.5f, 3.5f);
    codes.resize(out * in);
    for (auto& c : codes) c = static_cast<uint8_t>(code(rng));
    planes.assign(kMaxPlanes, std::vector<uint8_t>(out * packed_row_bytes(in), 0));
    for (int64_t r = 0; r < out; ++r)
      for (int64_t i = 0; i < in; ++i)
        for (int p = 0; p < kMaxPlanes; ++p)
          planes[p][r * packed_row_bytes(in) + i / 4] |= plane_code(codes[r * in + i], p) << (2 * (i % 4));
    for (int64_t g = 0; g < out * n_groups(in); ++g) {
      scales.push_back(f32_to_f16(scale(rng)));
      zeros.push_back(f32_to_f16(zero(rng)));
    }
    view.out = out;
    view.in = in;
    view.n_planes = kMaxPlanes;
    for (int p = 0; p < kMaxPlanes; ++p) view.planes[p] = planes[p].data();
    view.scales = scales.data();
    view.zeros = zeros.data();
  }

  // W_k[r][i] by the layout's formula.
  float weight(int64_t r, int64_t i, int k) const {
    uint8_t c[kMaxPlanes];
    for (int p = 0; p < kMaxPlanes; ++p) c[p] = plane_code(codes[r * view.in + i], p);
    const int64_t g = r * n_groups(view.in) + i / kGroupSize;
    return reconstruct_weight(c, k, f16_to_f32(scales[g]), f16_to_f32(zeros[g]));
  }
};

inline std::vector<float> random_floats(int64_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

}  // namespace mobiq::test
