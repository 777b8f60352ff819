// What the kernels see of the loaded weights: plain structs of device pointers and shapes, passed by
// value to kernels. Shared by the .cu kernels and the C++ executor.
#pragma once

#include <cstdint>

#include "format/model_weights.h"

namespace mobiq::cuda {

// Row stride of a plane on the device: packed_row_bytes(in) rounded up to 16 bytes (64 columns), so a
// thread reads 64 columns with one 128-bit load. Padding codes are 0 (format/SLICE_LAYOUT.md, "On a
// CUDA device").
inline constexpr int64_t device_row_stride(int64_t in) { return (in + 63) / 64 * 16; }

// A sliced linear W [out][in] as loaded: planes[p] is [out][row_stride] bytes of 2-bit codes (nullptr
// for a plane not resident); scale_zero is [out][n_groups] half2 pairs (s, z) as 32-bit words.
struct SlicedView {
  const uint8_t* planes[kMaxPlanes];
  const uint32_t* scale_zero;
  int32_t out;
  int32_t in;
  int32_t row_stride;
  int32_t n_groups;
};

// A dense matrix [rows][cols] in its stored dtype (kQ8: [rows][n_groups] f32 scales, then int8 codes).
struct DenseView {
  DType dtype;
  const void* data;
  int32_t rows;
  int32_t cols;
};

// A router (format/model_weights.h has the formula), all f32.
struct RouterView {
  const float* w1;  // [hidden][in]
  const float* b1;  // [hidden]
  const float* w2;  // [kResidualPlanes][hidden + 1]
  const float* b2;  // [kResidualPlanes]
  int32_t in;
  int32_t hidden;
};

// The executor's slice plan and step position in device memory, rewritten by set_plan/forward only.
// Kernels read it, so a captured step replays with a new budget or position unchanged.
struct DevicePlan {
  int32_t mode;  // SlicePlan::Mode
  int32_t slices;
  int32_t cap;  // min(plan.max_slices, resident planes)
  int32_t n_layers;
  int32_t start;  // position of the first token of this forward pass
  float threshold_offset;
  int32_t random_base;  // floor(random_mean)
  float random_pad_;
  double random_extra;  // random_mean - floor(random_mean)
  uint64_t random_seed;
};

}  // namespace mobiq::cuda
