#include "backends/cpu/ops/attention.h"

#include <algorithm>
#include <cmath>

#include "runtime/math/vector_math.h"

namespace mobiq::cpu {
namespace {

// The portable AttendFn: softmax(scale * K q) V for one query head.
void attend_portable(const float* q, const float* k, const float* v, int64_t kv_stride, int64_t n_keys, int hd,
                     float scale, float* s, float* out) {
  float max_score = -INFINITY;
  for (int64_t j = 0; j < n_keys; ++j) {
    s[j] = math::dot(q, k + j * kv_stride, hd) * scale;
    max_score = std::max(max_score, s[j]);
  }
  float total = 0.0f;
  for (int64_t j = 0; j < n_keys; ++j) {
    s[j] = std::exp(s[j] - max_score);
    total += s[j];
  }
  std::fill(out, out + hd, 0.0f);
  const float inv_total = 1.0f / total;
  for (int64_t j = 0; j < n_keys; ++j) math::axpy(s[j] * inv_total, v + j * kv_stride, out, hd);
}

}  // namespace

void attention(const AttentionShape& shape, const float* q, const float* k_cache, const float* v_cache,
               int64_t n, int32_t start, float* out, float* scores, int64_t scores_stride, ThreadPool& pool,
               AttendFn attend) {
  if (attend == nullptr) attend = attend_portable;
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
      const int64_t offset = t * q_stride + static_cast<int64_t>(h) * hd;
      const int64_t n_keys = start + t + 1;  // causal: keys up to and including this position
      attend(q + offset, k_cache + kv_offset, v_cache + kv_offset, kv_stride, n_keys, hd, scale, s, out + offset);
    }
  });
}

}  // namespace mobiq::cpu
