// RoPE on q and k, then k and v into the fp16 caches: one block per token, threads over
// (head, pair) of q and of k, and over the kv width for v.
#include "backends/cuda/cuda_status.h"
#include "backends/cuda/ops/ops.h"

namespace mobiq::cuda {
namespace {

__global__ void rope_store_kv_kernel(float* q, const float* k, const float* v, const float* inv_freq,
                                     const int32_t* start, AttentionShape shape, __half* k_cache, __half* v_cache) {
  const int t = blockIdx.x;
  const int half = shape.head_dim / 2;
  const int position = *start + t;
  const int64_t q_dim = int64_t{shape.n_heads} * shape.head_dim, kv_dim = int64_t{shape.n_kv_heads} * shape.head_dim;
  float* qt = q + t * q_dim;
  const float* kt = k + t * kv_dim;
  __half* k_row = k_cache + position * kv_dim;
  __half* v_row = v_cache + position * kv_dim;
  for (int item = threadIdx.x; item < (shape.n_heads + shape.n_kv_heads) * half; item += blockDim.x) {
    const int head = item / half, i = item % half;
    float c, s;
    sincosf(static_cast<float>(position) * inv_freq[i], &s, &c);
    if (head < shape.n_heads) {
      float* h = qt + head * shape.head_dim;
      const float a = h[i], b = h[i + half];
      h[i] = a * c - b * s;
      h[i + half] = b * c + a * s;
    } else {
      const int64_t base = int64_t{head - shape.n_heads} * shape.head_dim;
      const float a = kt[base + i], b = kt[base + i + half];
      k_row[base + i] = __float2half(a * c - b * s);
      k_row[base + i + half] = __float2half(b * c + a * s);
    }
  }
  for (int64_t i = threadIdx.x; i < kv_dim; i += blockDim.x) v_row[i] = __float2half(v[t * kv_dim + i]);
}

}  // namespace

Status rope_store_kv(float* q, const float* k, const float* v, const float* inv_freq, const int32_t* start, int n,
                     const AttentionShape& shape, __half* k_cache, __half* v_cache, cudaStream_t stream) {
  rope_store_kv_kernel<<<n, 256, 0, stream>>>(q, k, v, inv_freq, start, shape, k_cache, v_cache);
  return check_launch("rope_store_kv_kernel");
}

}  // namespace mobiq::cuda
