// SwiGLU, elementwise: gate = silu(gate) * up.
#include "backends/cuda/cuda_status.h"
#include "backends/cuda/ops/ops.h"

namespace mobiq::cuda {
namespace {

__global__ void swiglu_kernel(float* gate, const float* up, int64_t count) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count; i += int64_t{gridDim.x} * blockDim.x)
    gate[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

}  // namespace

Status swiglu(float* gate, const float* up, int64_t count, cudaStream_t stream) {
  const int blocks = static_cast<int>((count + 255) / 256 < 65535 ? (count + 255) / 256 : 65535);
  swiglu_kernel<<<blocks, 256, 0, stream>>>(gate, up, count);
  return check_launch("swiglu_kernel");
}

}  // namespace mobiq::cuda
