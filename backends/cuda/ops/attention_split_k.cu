// Causal attention over fp16 caches, split-K ("flash-decoding"): grid (head, token, chunk). Each block
// scores one chunk of keys (a warp per key), takes its softmax max and sum, and writes its weighted
// values; a merge kernel rescales the chunks by their maxima. Serves decode (n = 1: the chunks spread a
// long cache over the GPU) and, without tiling, prefill. head_dim <= 256.
#include <algorithm>

#include "backends/cuda/cuda_status.h"
#include "backends/cuda/ops/device_math.cuh"
#include "backends/cuda/ops/ops.h"

namespace mobiq::cuda {
namespace {

constexpr int kThreads = 128;
constexpr int kMaxChunks = 64;

__device__ __forceinline__ float block_max(float v, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < warps ? scratch[lane] : -INFINITY;
  for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

// partial [n][n_heads][chunks][2 + head_dim]: (max, sum, sum_j p_j v_j).
__global__ void attention_chunk_kernel(const float* q, const __half* k_cache, const __half* v_cache,
                                       const int32_t* start, int first, AttentionShape shape, int chunk,
                                       float* partial) {
  extern __shared__ float smem[];  // q_scaled [head_dim], scores [chunk]
  __shared__ float scratch[32];
  const int h = blockIdx.x, t = blockIdx.y, c = blockIdx.z, chunks = gridDim.z, hd = shape.head_dim;
  const int n_keys = *start + first + t + 1;
  const int k0 = c * chunk, k1 = min(k0 + chunk, n_keys);
  float* part = partial + ((int64_t{t} * shape.n_heads + h) * chunks + c) * (2 + hd);
  if (k0 >= n_keys) {  // the whole block leaves: this chunk is past the token's causal limit
    for (int d = threadIdx.x; d < hd + 2; d += blockDim.x) part[d] = d == 0 ? -INFINITY : 0.0f;
    return;
  }
  float* qs = smem;
  float* scores = smem + hd;
  const int64_t q_dim = int64_t{shape.n_heads} * hd, kv_dim = int64_t{shape.n_kv_heads} * hd;
  const int64_t kv_offset = int64_t{h / (shape.n_heads / shape.n_kv_heads)} * hd;
  const float scale = rsqrtf(static_cast<float>(hd));
  for (int d = threadIdx.x; d < hd; d += blockDim.x) qs[d] = q[t * q_dim + int64_t{h} * hd + d] * scale;
  __syncthreads();
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  for (int j = k0 + warp; j < k1; j += warps) {
    const __half* key = k_cache + j * kv_dim + kv_offset;
    float dot = 0.0f;
    for (int d = lane; d < hd; d += 32) dot += qs[d] * __half2float(key[d]);
    dot = warp_sum(dot);
    if (lane == 0) scores[j - k0] = dot;
  }
  __syncthreads();
  float local_max = -INFINITY;
  for (int j = threadIdx.x; j < k1 - k0; j += blockDim.x) local_max = fmaxf(local_max, scores[j]);
  const float m = block_max(local_max, scratch);
  float local_sum = 0.0f;
  for (int j = threadIdx.x; j < k1 - k0; j += blockDim.x) {
    scores[j] = expf(scores[j] - m);
    local_sum += scores[j];
  }
  const float l = block_sum(local_sum, scratch);  // its barriers also publish the exponentials
  for (int d = threadIdx.x; d < hd; d += blockDim.x) {
    float acc = 0.0f;
    for (int j = k0; j < k1; ++j) acc += scores[j - k0] * __half2float(v_cache[j * kv_dim + kv_offset + d]);
    part[2 + d] = acc;
  }
  if (threadIdx.x == 0) {
    part[0] = m;
    part[1] = l;
  }
}

// out[t][h] = sum_c e^(m_c - M) o_c / sum_c e^(m_c - M) l_c. Grid (head, token).
__global__ void attention_merge_kernel(const float* partial, int chunks, AttentionShape shape, float* out) {
  const int h = blockIdx.x, t = blockIdx.y, hd = shape.head_dim;
  const float* parts = partial + (int64_t{t} * shape.n_heads + h) * chunks * (2 + hd);
  float m = -INFINITY;
  for (int c = 0; c < chunks; ++c) m = fmaxf(m, parts[c * (2 + hd)]);
  float l = 0.0f;
  for (int c = 0; c < chunks; ++c) l += expf(parts[c * (2 + hd)] - m) * parts[c * (2 + hd) + 1];
  const float inv = 1.0f / l;
  for (int d = threadIdx.x; d < hd; d += blockDim.x) {
    float acc = 0.0f;
    for (int c = 0; c < chunks; ++c) acc += expf(parts[c * (2 + hd)] - m) * parts[c * (2 + hd) + 2 + d];
    out[(int64_t{t} * shape.n_heads + h) * hd + d] = acc * inv;
  }
}

int chunks_for(int max_keys) { return std::min(kMaxChunks, (max_keys + 127) / 128); }

}  // namespace

int attention_chunk(int max_keys) {
  const int chunks = chunks_for(max_keys);
  return ((max_keys + chunks - 1) / chunks + 31) / 32 * 32;
}

int64_t attention_partial_floats(int n, const AttentionShape& shape, int max_keys) {
  return int64_t{n} * shape.n_heads * chunks_for(max_keys) * (2 + shape.head_dim);
}

Status attention(const float* q, const __half* k_cache, const __half* v_cache, const int32_t* start, int first,
                 int n, int max_keys, const AttentionShape& shape, float* partial, float* out, cudaStream_t stream) {
  if (shape.head_dim > 256) return unsupported("cuda attention: head_dim > 256");
  const int chunk = attention_chunk(max_keys);
  const int chunks = (max_keys + chunk - 1) / chunk;
  const size_t smem = (shape.head_dim + chunk) * sizeof(float);
  attention_chunk_kernel<<<dim3(shape.n_heads, n, chunks), kThreads, smem, stream>>>(q, k_cache, v_cache, start, first,
                                                                                     shape, chunk, partial);
  MOBIQ_RETURN_IF_ERROR(check_launch("attention_chunk_kernel"));
  attention_merge_kernel<<<dim3(shape.n_heads, n), kThreads, 0, stream>>>(partial, chunks, shape, out);
  return check_launch("attention_merge_kernel");
}

}  // namespace mobiq::cuda
