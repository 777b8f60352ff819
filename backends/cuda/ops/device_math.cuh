// Device helpers the kernels share: warp and block reductions, dense elements of any stored dtype.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "backends/cuda/ops/views.h"

namespace mobiq::cuda {

__device__ __forceinline__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// Sum over a block of blockDim.x threads (a multiple of 32, at most 1024); every thread gets it.
// `scratch`: 32 floats of shared memory, reusable after the call returns.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_sum(v);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < warps ? scratch[lane] : 0.0f;
  return warp_sum(v);
}

// Element (row, col) of a dense matrix as f32.
template <DType kType>
__device__ __forceinline__ float dense_element(const DenseView& w, int64_t row, int64_t col) {
  if constexpr (kType == DType::kF32) {
    return static_cast<const float*>(w.data)[row * w.cols + col];
  } else if constexpr (kType == DType::kF16) {
    return __half2float(static_cast<const __half*>(w.data)[row * w.cols + col]);
  } else if constexpr (kType == DType::kBF16) {
    return __bfloat162float(static_cast<const __nv_bfloat16*>(w.data)[row * w.cols + col]);
  } else {
    const int64_t groups = (w.cols + kGroupSize - 1) / kGroupSize;
    const float* scales = static_cast<const float*>(w.data);
    const int8_t* codes = reinterpret_cast<const int8_t*>(scales + int64_t{w.rows} * groups);
    return codes[row * w.cols + col] * scales[row * groups + col / kGroupSize];
  }
}

}  // namespace mobiq::cuda
