// Router scores: one block of 256 threads per token; a warp per hidden unit, then a warp per score.
#include "backends/cuda/cuda_status.h"
#include "backends/cuda/ops/device_math.cuh"
#include "backends/cuda/ops/ops.h"

namespace mobiq::cuda {
namespace {

__global__ void router_kernel(RouterView r, const float* x, float* scores) {
  extern __shared__ float hidden[];  // [r.hidden]
  __shared__ float scratch[32];
  const int t = blockIdx.x, lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  const float* xt = x + int64_t{t} * r.in;
  float sum = 0.0f;
  for (int i = threadIdx.x; i < r.in; i += blockDim.x) sum += xt[i] * xt[i];
  const float mean_square = block_sum(sum, scratch) / static_cast<float>(r.in);
  const float inv_rms = 1.0f / sqrtf(mean_square + 1e-20f);
  const float energy = logf(mean_square + 1e-20f);
  for (int j = warp; j < r.hidden; j += warps) {
    const float* w = r.w1 + int64_t{j} * r.in;
    float dot = 0.0f;
    for (int i = lane; i < r.in; i += 32) dot += w[i] * xt[i];
    dot = warp_sum(dot);
    if (lane == 0) hidden[j] = fmaxf(0.0f, dot * inv_rms + r.b1[j]);
  }
  __syncthreads();
  for (int e = warp; e < kResidualPlanes; e += warps) {
    const float* w = r.w2 + e * (r.hidden + 1);
    float dot = 0.0f;
    for (int i = lane; i < r.hidden; i += 32) dot += w[i] * hidden[i];
    dot = warp_sum(dot);
    if (lane == 0) scores[t * kResidualPlanes + e] = dot + w[r.hidden] * energy + r.b2[e];
  }
}

}  // namespace

Status router_scores(const RouterView& router, const float* x, int n, float* scores, cudaStream_t stream) {
  if (router.hidden > 8192) return unsupported("cuda router: hidden width above 8192");
  router_kernel<<<n, 256, router.hidden * sizeof(float), stream>>>(router, x, scores);
  return check_launch("router_kernel");
}

}  // namespace mobiq::cuda
