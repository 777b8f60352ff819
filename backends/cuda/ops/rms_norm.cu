// RMSNorm: one block of 256 threads per token.
#include "backends/cuda/cuda_status.h"
#include "backends/cuda/ops/device_math.cuh"
#include "backends/cuda/ops/ops.h"

namespace mobiq::cuda {
namespace {

__global__ void rms_norm_kernel(const float* x, const float* weight, float eps, int dim, float* out) {
  __shared__ float scratch[32];
  const float* row = x + int64_t{blockIdx.x} * dim;
  float sum = 0.0f;
  for (int i = threadIdx.x; i < dim; i += blockDim.x) sum += row[i] * row[i];
  const float inv = rsqrtf(block_sum(sum, scratch) / static_cast<float>(dim) + eps);
  float* dst = out + int64_t{blockIdx.x} * dim;
  for (int i = threadIdx.x; i < dim; i += blockDim.x) dst[i] = row[i] * inv * weight[i];
}

}  // namespace

Status rms_norm(const float* x, const float* weight, float eps, int n, int dim, float* out, cudaStream_t stream) {
  rms_norm_kernel<<<n, 256, 0, stream>>>(x, weight, eps, dim, out);
  return check_launch("rms_norm_kernel");
}

}  // namespace mobiq::cuda
