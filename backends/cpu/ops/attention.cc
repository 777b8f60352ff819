#include "backends/cpu/ops/attention.h"

#include <algorithm>
#include <cmath>

#include "backends/cpu/ops/vector_math.h"

namespace mobiq::cpu {

void attention(const AttentionShape& shape, const float* q, const float* k_cache, const float* v_cache,
               int64_t n, int32_t start, float* out, float* scores, int64_t scores_stride, ThreadPool& pool) {
  const int hd = shape.head_dim;
  const int group = shape.n_heads / shape.n_kv_heads;
  const int64_t kv_stride = static_cast<int64_t>(shape.n_kv_heads) * hd;
  const int64_t q_stride = static_cast<int64_t>(shape.n_heads) * hd;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  // One work item per (token, head).
  pool.parallel_for(n * shape.n_heads, 1, [&](int64_t i0, int64_t i1, int worker) {
    float* s = scores + worker * scores_stride;
    for (int64_t item = i0; item < i1; ++item) {
      const int64_t t = item / shape.n_heads;
      const int h = static_cast<int>(item % shape.n_heads);
      const int64_t kv_offset = static_cast<int64_t>(h / group) * hd;
      const float* qh = q + t * q_stride + static_cast<int64_t>(h) * hd;
      const int64_t n_keys = start + t + 1;  // causal: keys up to and including this position
      float max_score = -INFINITY;
      for (int64_t j = 0; j < n_keys; ++j) {
        s[j] = dot(qh, k_cache + j * kv_stride + kv_offset, hd) * scale;
        max_score = std::max(max_score, s[j]);
      }
      float total = 0.0f;
      for (int64_t j = 0; j < n_keys; ++j) {
        s[j] = std::exp(s[j] - max_score);
        total += s[j];
      }
      float* oh = out + t * q_stride + static_cast<int64_t>(h) * hd;
      std::fill(oh, oh + hd, 0.0f);
      const float inv_total = 1.0f / total;
      for (int64_t j = 0; j < n_keys; ++j) axpy(s[j] * inv_total, v_cache + j * kv_stride + kv_offset, oh, hd);
    }
  });
}

}  // namespace mobiq::cpu
