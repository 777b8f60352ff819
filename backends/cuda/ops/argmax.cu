// Argmax over a vector: one block of 1024 threads; ties go to the lower index (std::max_element).
#include "backends/cuda/cuda_status.h"
#include "backends/cuda/ops/ops.h"

namespace mobiq::cuda {
namespace {

constexpr int kThreads = 1024;

__device__ __forceinline__ void keep_better(float& value, int& index, float other_value, int other_index) {
  if (other_value > value || (other_value == value && other_index < index)) {
    value = other_value;
    index = other_index;
  }
}

__global__ void argmax_kernel(const float* values, int count, int32_t* result) {
  __shared__ float best_values[kThreads / 32];
  __shared__ int best_indices[kThreads / 32];
  float value = -INFINITY;
  int index = count;  // above every real index, so any value wins
  for (int i = threadIdx.x; i < count; i += blockDim.x) keep_better(value, index, values[i], i);
  for (int offset = 16; offset > 0; offset >>= 1)
    keep_better(value, index, __shfl_xor_sync(0xffffffffu, value, offset), __shfl_xor_sync(0xffffffffu, index, offset));
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) {
    best_values[warp] = value;
    best_indices[warp] = index;
  }
  __syncthreads();
  if (warp != 0) return;
  value = best_values[lane];
  index = best_indices[lane];
  for (int offset = 16; offset > 0; offset >>= 1)
    keep_better(value, index, __shfl_xor_sync(0xffffffffu, value, offset), __shfl_xor_sync(0xffffffffu, index, offset));
  if (lane == 0) *result = index < count ? index : 0;  // all NaN: token 0
}

}  // namespace

Status argmax(const float* values, int count, int32_t* index, cudaStream_t stream) {
  argmax_kernel<<<1, kThreads, 0, stream>>>(values, count, index);
  return check_launch("argmax_kernel");
}

}  // namespace mobiq::cuda
