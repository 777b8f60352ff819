#include "backends/cpu/cpu_executor.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "backends/cpu/ops/attention.h"
#include "backends/cpu/ops/rms_norm.h"
#include "backends/cpu/ops/swiglu.h"
#include "backends/cpu/ops/tensor_read.h"

namespace mobiq::cpu {
namespace {

void add_in_place(float* x, const float* delta, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += delta[i];
}

}  // namespace

CpuExecutor::CpuExecutor(const Model& model, const ExecutorOptions& options)
    : config_(model.config()),
      weights_(model.weights()),
      options_(options),
      pool_(options.n_threads),
      rope_(model.config()),
      workspace_(pool_.size(), std::max({config_.hidden_size, config_.q_dim(), config_.intermediate_size})) {
  const int64_t batch = options.max_batch, ctx = options.context_size;
  x_.resize(batch * config_.hidden_size);
  normed_.resize(batch * config_.hidden_size);
  q_.resize(batch * config_.q_dim());
  k_.resize(batch * config_.kv_dim());
  v_.resize(batch * config_.kv_dim());
  mixed_.resize(batch * config_.q_dim());
  delta_.resize(batch * config_.hidden_size);
  gate_.resize(batch * config_.intermediate_size);
  up_.resize(batch * config_.intermediate_size);
  scores_.resize(pool_.size() * ctx);
  k_cache_.resize(config_.n_layers * ctx * config_.kv_dim());
  v_cache_.resize(config_.n_layers * ctx * config_.kv_dim());
}

Status CpuExecutor::validate(const ForwardRequest& r) const {
  const int64_t n = static_cast<int64_t>(r.tokens.size());
  if (n == 0) return invalid_argument("forward: no tokens");
  if (n > options_.max_batch)
    return invalid_argument("forward: " + std::to_string(n) + " tokens exceed the batch limit of " +
                            std::to_string(options_.max_batch));
  if (r.start_position < 0 || r.start_position > cached_)
    return invalid_argument("forward: start position " + std::to_string(r.start_position) +
                            " is not within the " + std::to_string(cached_) + " cached positions");
  if (r.start_position + n > options_.context_size)
    return out_of_range("forward: context full (" + std::to_string(r.start_position + n) + " > " +
                        std::to_string(options_.context_size) + " positions)");
  if (r.slices < 1 || r.slices > kMaxPlanes)
    return invalid_argument("forward: slices must be 1..4, got " + std::to_string(r.slices));
  for (int32_t id : r.tokens)
    if (id < 0 || id >= config_.vocab_size)
      return out_of_range("forward: token id " + std::to_string(id) + " outside the vocabulary of " +
                          std::to_string(config_.vocab_size));
  return Status::Ok();
}

Status CpuExecutor::truncate(int32_t position) {
  if (position < 0) return invalid_argument("truncate: negative position");
  cached_ = std::min(cached_, position);
  return Status::Ok();
}

// The whole forward pass, top down: embed, layers, final norm, output head.
Status CpuExecutor::forward(const ForwardRequest& request, float* logits) {
  MOBIQ_RETURN_IF_ERROR(validate(request));
  const int64_t n = static_cast<int64_t>(request.tokens.size());
  const int64_t hidden = config_.hidden_size;
  for (int64_t t = 0; t < n; ++t) read_row(weights_.token_embedding, request.tokens[t], x_.data() + t * hidden);

  for (int layer = 0; layer < config_.n_layers; ++layer) {
    attention_block(layer, n, request.start_position, request.slices);
    feed_forward_block(layer, n, request.slices);
  }
  cached_ = request.start_position + static_cast<int32_t>(n);

  // Only the rows whose logits are wanted go through the (large) output head.
  const int64_t first = request.all_logits ? 0 : n - 1;
  const int64_t rows = n - first;
  rms_norm(x_.data() + first * hidden, weights_.final_norm, config_.rms_norm_eps, rows, hidden, normed_.data());
  matmul_dense(weights_.output, normed_.data(), rows, logits, pool_, workspace_);
  return Status::Ok();
}

// x += o_proj(attention(rope(q_proj(norm(x))), cache + rope(k_proj(...)), cache + v_proj(...)))
void CpuExecutor::attention_block(int layer, int64_t n, int32_t start, int slices) {
  const LayerWeights& w = weights_.layers[layer];
  const int64_t hidden = config_.hidden_size, q_dim = config_.q_dim(), kv_dim = config_.kv_dim();
  rms_norm(x_.data(), w.attn_norm, config_.rms_norm_eps, n, hidden, normed_.data());
  matmul(w.q, slices, normed_.data(), n, q_.data(), pool_, workspace_);
  matmul(w.k, slices, normed_.data(), n, k_.data(), pool_, workspace_);
  matmul(w.v, slices, normed_.data(), n, v_.data(), pool_, workspace_);

  float* k_cache = k_cache_.data() + static_cast<int64_t>(layer) * options_.context_size * kv_dim;
  float* v_cache = v_cache_.data() + static_cast<int64_t>(layer) * options_.context_size * kv_dim;
  for (int64_t t = 0; t < n; ++t) {
    const int32_t position = start + static_cast<int32_t>(t);
    rope_.apply(q_.data() + t * q_dim, config_.n_heads, position);
    rope_.apply(k_.data() + t * kv_dim, config_.n_kv_heads, position);
    std::memcpy(k_cache + position * kv_dim, k_.data() + t * kv_dim, kv_dim * sizeof(float));
    std::memcpy(v_cache + position * kv_dim, v_.data() + t * kv_dim, kv_dim * sizeof(float));
  }
  const AttentionShape shape{config_.n_heads, config_.n_kv_heads, config_.head_dim};
  attention(shape, q_.data(), k_cache, v_cache, n, start, mixed_.data(), scores_.data(), options_.context_size,
            pool_);
  matmul(w.o, slices, mixed_.data(), n, delta_.data(), pool_, workspace_);
  add_in_place(x_.data(), delta_.data(), n * hidden);
}

// x += down_proj(silu(gate_proj(norm(x))) * up_proj(norm(x)))
void CpuExecutor::feed_forward_block(int layer, int64_t n, int slices) {
  const LayerWeights& w = weights_.layers[layer];
  const int64_t hidden = config_.hidden_size, inter = config_.intermediate_size;
  rms_norm(x_.data(), w.ffn_norm, config_.rms_norm_eps, n, hidden, normed_.data());
  matmul(w.gate, slices, normed_.data(), n, gate_.data(), pool_, workspace_);
  matmul(w.up, slices, normed_.data(), n, up_.data(), pool_, workspace_);
  swiglu(gate_.data(), up_.data(), n * inter);
  matmul(w.down, slices, gate_.data(), n, delta_.data(), pool_, workspace_);
  add_in_place(x_.data(), delta_.data(), n * hidden);
}

}  // namespace mobiq::cpu
