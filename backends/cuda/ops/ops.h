// Launchers of the CUDA kernels, one .cu file each. Activations are f32 and row-major per token;
// every pointer is device memory; every launcher enqueues on `stream` and returns the launch status.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "backends/cuda/ops/views.h"
#include "runtime/core/status.h"

namespace mobiq::cuda {

// embed.cu: x[t] = table[tokens[t]] as f32. tokens [n], x [n][table.cols].
Status embed_rows(const DenseView& table, const int32_t* tokens, int n, float* x, cudaStream_t stream);

// rms_norm.cu: out[t] = x[t] / sqrt(mean(x[t]^2) + eps) * weight. x, out [n][dim], weight [dim].
Status rms_norm(const float* x, const float* weight, float eps, int n, int dim, float* out, cudaStream_t stream);

// rope_store_kv.cu: rotates q [n][n_heads][head_dim] in place and k by position *start + t
// (rotate-half; inv_freq [head_dim / 2] with the model's scaling applied), then stores k and v
// ([n][n_kv_heads * head_dim]) as fp16 at those positions of one layer's caches [ctx][kv_dim].
struct AttentionShape {
  int n_heads;
  int n_kv_heads;
  int head_dim;
};
Status rope_store_kv(float* q, const float* k, const float* v, const float* inv_freq, const int32_t* start, int n,
                     const AttentionShape& shape, __half* k_cache, __half* v_cache, cudaStream_t stream);

// attention_split_k.cu: causal attention of n query tokens at positions *start + first + t over one
// layer's fp16 caches, "flash-decoding": the keys of each (token, head) are cut into chunks of
// attention_chunk(max_keys) keys (max_keys: *start + first + n, known on the host), one block per
// chunk writes a partial softmax (max, sum, weighted values), a second kernel merges them. partial: scratch of
// attention_partial_floats(n, shape, max_keys) floats. q, out [n][n_heads * head_dim].
int attention_chunk(int max_keys);
int64_t attention_partial_floats(int n, const AttentionShape& shape, int max_keys);
Status attention(const float* q, const __half* k_cache, const __half* v_cache, const int32_t* start, int first,
                 int n, int max_keys, const AttentionShape& shape, float* partial, float* out, cudaStream_t stream);

// swiglu.cu: gate[i] = silu(gate[i]) * up[i], i < count.
Status swiglu(float* gate, const float* up, int64_t count, cudaStream_t stream);

// residual_add.cu: x[i] += delta[i], i < count.
Status residual_add(float* x, const float* delta, int64_t count, cudaStream_t stream);

// router.cu: scores [n][kResidualPlanes] of a router for x [n][router.in].
Status router_scores(const RouterView& router, const float* x, int n, float* scores, cudaStream_t stream);

// plan_slices.cu: each token's slice count for (layer, group) under the plan in device memory,
// capped at plan->cap: k [n]. Routed plans read `scores` [n][kResidualPlanes]; explicit plans
// explicit_slices [n][n_layers][kLinearGroups]; per-group plans group_slices [n_layers][kLinearGroups].
// Adds weights_per_slice * k per token to stats[0] and router_parameters per token to stats[1];
// writes recorded [n][n_layers][kLinearGroups] when not null.
struct PlanArrays {
  const DevicePlan* plan;
  const uint8_t* group_slices;
  const float* thresholds;
  const uint8_t* explicit_slices;
};
Status plan_slices(const PlanArrays& plan, const float* scores, int layer, int group, int n, double weights_per_slice,
                   double router_parameters, uint8_t* k, uint8_t* recorded, double* stats, cudaStream_t stream);

// sliced_gemv_rowwarp.cu: decode. y[t][r] = W_{k[t]}[r] . x[t] for t < n: one warp per row, 128-bit
// loads of planes 0..k[t]-1 only, x[t] in shared memory; k read from device memory.
Status sliced_gemv(const SlicedView& w, const float* x, const uint8_t* k, int n, float* y, cudaStream_t stream);

// sliced_gemm_smem64x64.cu: prefill. Same product for a batch: 64-row x 64-token tiles, planes
// dequantized to f32 in shared memory, plane p read once per tile when any token of it needs p.
Status sliced_gemm(const SlicedView& w, const float* x, const uint8_t* k, int n, float* y, cudaStream_t stream);

// dense_gemv_rowwarp.cu: y[t] = W x[t] for a dense W (f32, f16, bf16 or q8) [rows][cols]: one warp per
// row, x[t] in shared memory. x [n][cols], y [n][rows].
Status dense_matmul(const DenseView& w, const float* x, int n, float* y, cudaStream_t stream);

// argmax.cu: *index = the first index of the largest of values[count].
Status argmax(const float* values, int count, int32_t* index, cudaStream_t stream);

}  // namespace mobiq::cuda
