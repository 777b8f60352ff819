// Causal grouped-query attention of a batch of consecutive tokens against a layer's KV cache.
#pragma once

#include <cstdint>

#include "backends/cpu/kernels/kernel_views.h"
#include "format/model_config.h"
#include "runtime/core/thread_pool.h"

namespace mobiq::cpu {

struct AttentionShape {
  int n_heads;
  int n_kv_heads;  // query head h reads kv head h / (n_heads / n_kv_heads)
  int head_dim;
};

// q: [n][n_heads][head_dim] for positions start .. start+n-1; k_cache, v_cache: [positions][n_kv_heads]
// [head_dim] holding at least start+n positions; out: [n][n_heads][head_dim].
// scores: per-worker scratch, [pool.size()][>= start + n]. attend: a kernel set's per-head step, or
// nullptr for the portable one (the oracle).
void attention(const AttentionShape& shape, const float* q, const float* k_cache, const float* v_cache,
               int64_t n, int32_t start, float* out, float* scores, int64_t scores_stride, ThreadPool& pool,
               AttendFn attend = nullptr);

}  // namespace mobiq::cpu
