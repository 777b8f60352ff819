// Residual add, elementwise: x += delta.
#include "backends/cuda/cuda_status.h"
#include "backends/cuda/ops/ops.h"

namespace mobiq::cuda {
namespace {

__global__ void residual_add_kernel(float* x, const float* delta, int64_t count) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count; i += int64_t{gridDim.x} * blockDim.x)
    x[i] += delta[i];
}

}  // namespace

Status residual_add(float* x, const float* delta, int64_t count, cudaStream_t stream) {
  const int blocks = static_cast<int>((count + 255) / 256 < 65535 ? (count + 255) / 256 : 65535);
  residual_add_kernel<<<blocks, 256, 0, stream>>>(x, delta, count);
  return check_launch("residual_add_kernel");
}

}  // namespace mobiq::cuda
