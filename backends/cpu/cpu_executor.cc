#include "backends/cpu/cpu_executor.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "backends/cpu/ops/attention.h"
#include "backends/cpu/ops/rms_norm.h"
#include "backends/cpu/ops/router.h"
#include "backends/cpu/ops/swiglu.h"
#include "backends/cpu/ops/tensor_read.h"

namespace mobiq::cpu {
namespace {

// A uniform draw in [0, 1) from a 64-bit key (splitmix64 finaliser): stateless, so a random plan
// gives the same counts to the same positions whatever the batching.
double uniform_from_hash(uint64_t key) {
  key += 0x9E3779B97F4A7C15ull;
  key = (key ^ (key >> 30)) * 0xBF58476D1CE4E5B9ull;
  key = (key ^ (key >> 27)) * 0x94D049BB133111EBull;
  key ^= key >> 31;
  return static_cast<double>(key >> 11) * 0x1.0p-53;
}

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
  const int64_t widest_in = std::max({config_.hidden_size, config_.q_dim(), config_.intermediate_size});
  const int64_t widest_out = std::max({config_.q_dim(), config_.kv_dim(), config_.hidden_size, config_.intermediate_size});
  int32_t widest_router = 0;
  for (const LayerWeights& layer : weights_.layers)
    for (const RouterWeights& router : layer.routers) widest_router = std::max(widest_router, router.hidden);
  slices_.resize(batch);
  router_scores_.resize(batch * kResidualPlanes);
  router_hidden_.resize(widest_router);
  gathered_in_.resize(batch * widest_in);
  gathered_out_.resize(batch * widest_out);
  gathered_rows_.resize(batch);
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
  const SlicePlan& plan = r.plan;
  if (plan.max_slices < 1 || plan.max_slices > kMaxPlanes)
    return invalid_argument("forward: slice cap must be 1..4, got " + std::to_string(plan.max_slices));
  const size_t per_token = static_cast<size_t>(config_.n_layers) * kLinearGroups;
  switch (plan.mode) {
    case SlicePlan::Mode::kUniform:
      if (plan.slices < 1 || plan.slices > kMaxPlanes)
        return invalid_argument("forward: slices must be 1..4, got " + std::to_string(plan.slices));
      break;
    case SlicePlan::Mode::kPerGroup:
      if (plan.group_slices.size() != per_token)
        return invalid_argument("forward: per-group plan has " + std::to_string(plan.group_slices.size()) +
                                " counts, needs " + std::to_string(per_token));
      for (uint8_t k : plan.group_slices)
        if (k < 1 || k > kMaxPlanes) return invalid_argument("forward: per-group slice count outside 1..4");
      break;
    case SlicePlan::Mode::kExplicit:
      if (plan.explicit_slices.size() != n * per_token)
        return invalid_argument("forward: explicit plan has " + std::to_string(plan.explicit_slices.size()) +
                                " counts, needs " + std::to_string(n * per_token));
      for (uint8_t k : plan.explicit_slices)
        if (k < 1 || k > kMaxPlanes) return invalid_argument("forward: explicit slice count outside 1..4");
      break;
    case SlicePlan::Mode::kRouted:
      if (plan.thresholds.size() != per_token)
        return invalid_argument("forward: routed plan has " + std::to_string(plan.thresholds.size()) +
                                " thresholds, needs " + std::to_string(per_token));
      for (const LayerWeights& layer : weights_.layers)
        for (const RouterWeights& router : layer.routers)
          if (!router.present()) return invalid_argument("forward: routed plan on a model without routers");
      break;
    case SlicePlan::Mode::kRandom:
      if (!(plan.random_mean >= 1.0 && plan.random_mean <= kMaxPlanes))
        return invalid_argument("forward: random plan mean must be 1..4 slices");
      break;
  }
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
    attention_block(request, layer, n);
    feed_forward_block(request, layer, n);
  }
  if (request.stats) request.stats->tokens += n;
  cached_ = request.start_position + static_cast<int32_t>(n);

  // Only the rows whose logits are wanted go through the (large) output head.
  const int64_t first = request.all_logits ? 0 : n - 1;
  const int64_t rows = n - first;
  rms_norm(x_.data() + first * hidden, weights_.final_norm, config_.rms_norm_eps, rows, hidden, normed_.data());
  matmul_dense(weights_.output, normed_.data(), rows, logits, pool_, workspace_);
  return Status::Ok();
}

// x += o_proj(attention(rope(q_proj(norm(x))), cache + rope(k_proj(...)), cache + v_proj(...)))
void CpuExecutor::attention_block(const ForwardRequest& request, int layer, int64_t n) {
  const LayerWeights& w = weights_.layers[layer];
  const int64_t hidden = config_.hidden_size, q_dim = config_.q_dim(), kv_dim = config_.kv_dim();
  const int32_t start = request.start_position;
  rms_norm(x_.data(), w.attn_norm, config_.rms_norm_eps, n, hidden, normed_.data());
  run_group(request, layer, LinearGroup::kQkv, normed_.data(), n,
            {{&w.q, q_.data()}, {&w.k, k_.data()}, {&w.v, v_.data()}});

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
  run_group(request, layer, LinearGroup::kO, mixed_.data(), n, {{&w.o, delta_.data()}});
  add_in_place(x_.data(), delta_.data(), n * hidden);
}

// x += down_proj(silu(gate_proj(norm(x))) * up_proj(norm(x)))
void CpuExecutor::feed_forward_block(const ForwardRequest& request, int layer, int64_t n) {
  const LayerWeights& w = weights_.layers[layer];
  const int64_t hidden = config_.hidden_size, inter = config_.intermediate_size;
  rms_norm(x_.data(), w.ffn_norm, config_.rms_norm_eps, n, hidden, normed_.data());
  run_group(request, layer, LinearGroup::kGateUp, normed_.data(), n, {{&w.gate, gate_.data()}, {&w.up, up_.data()}});
  swiglu(gate_.data(), up_.data(), n * inter);
  run_group(request, layer, LinearGroup::kDown, gate_.data(), n, {{&w.down, delta_.data()}});
  add_in_place(x_.data(), delta_.data(), n * hidden);
}

}  // namespace mobiq::cpu

namespace mobiq::cpu {

void CpuExecutor::plan_group(const ForwardRequest& request, int layer, LinearGroup group, const float* x, int64_t n,
                             int planes) {
  const SlicePlan& plan = request.plan;
  const int g = static_cast<int>(group);
  switch (plan.mode) {
    case SlicePlan::Mode::kUniform:
      std::fill(slices_.begin(), slices_.begin() + n, static_cast<uint8_t>(plan.slices));
      break;
    case SlicePlan::Mode::kPerGroup:
      std::fill(slices_.begin(), slices_.begin() + n, plan.group_slices[layer * kLinearGroups + g]);
      break;
    case SlicePlan::Mode::kExplicit:
      for (int64_t t = 0; t < n; ++t)
        slices_[t] = plan.explicit_slices[(t * config_.n_layers + layer) * kLinearGroups + g];
      break;
    case SlicePlan::Mode::kRouted: {
      const RouterWeights& router = weights_.layers[layer].routers[g];
      router_scores(router, x, n, router_hidden_.data(), router_scores_.data());
      const float threshold = plan.thresholds[layer * kLinearGroups + g];
      for (int64_t t = 0; t < n; ++t) slices_[t] = slices_from_scores(router_scores_.data() + t * kResidualPlanes, threshold);
      if (request.stats) request.stats->router_parameters += static_cast<double>(router.parameters()) * n;
      break;
    }
    case SlicePlan::Mode::kRandom: {
      const int base = static_cast<int>(plan.random_mean);
      const double extra = plan.random_mean - base;
      for (int64_t t = 0; t < n; ++t) {
        const uint64_t key = (plan.random_seed * 0x9E3779B97F4A7C15ull) ^
                             ((static_cast<uint64_t>(request.start_position + t) << 16) | (layer << 2) | g);
        slices_[t] = static_cast<uint8_t>(base + (uniform_from_hash(key) < extra ? 1 : 0));
      }
      break;
    }
  }
  const int cap = std::min(plan.max_slices, planes);
  for (int64_t t = 0; t < n; ++t) slices_[t] = static_cast<uint8_t>(std::min<int>(slices_[t], cap));
}

void CpuExecutor::run_group(const ForwardRequest& request, int layer, LinearGroup group, const float* x, int64_t n,
                            std::initializer_list<GroupOutput> outputs) {
  const int64_t in = outputs.begin()->weights->in();
  if (request.observer) request.observer->observe(layer, group, x, n, in);
  if (!outputs.begin()->weights->is_sliced()) {  // dense: no slices to choose
    for (const GroupOutput& o : outputs) matmul(*o.weights, kMaxPlanes, x, n, o.y, pool_, workspace_);
    return;
  }
  plan_group(request, layer, group, x, n, outputs.begin()->weights->sliced.n_planes);
  int64_t count[kMaxPlanes + 1] = {};
  for (int64_t t = 0; t < n; ++t) ++count[slices_[t]];
  if (request.stats) {
    double weights = 0.0;
    for (const GroupOutput& o : outputs) weights += static_cast<double>(o.weights->out()) * in;
    for (int k = 1; k <= kMaxPlanes; ++k) request.stats->slice_weights += weights * k * count[k];
  }
  for (int k = 1; k <= kMaxPlanes; ++k) {
    if (count[k] == 0) continue;
    if (count[k] == n) {  // every token reads the same planes: no gathering
      for (const GroupOutput& o : outputs) matmul(*o.weights, k, x, n, o.y, pool_, workspace_);
      return;
    }
    int64_t m = 0;
    for (int64_t t = 0; t < n; ++t)
      if (slices_[t] == k) {
        std::memcpy(gathered_in_.data() + m * in, x + t * in, in * sizeof(float));
        gathered_rows_[m++] = t;
      }
    for (const GroupOutput& o : outputs) {
      const int64_t out = o.weights->out();
      matmul(*o.weights, k, gathered_in_.data(), m, gathered_out_.data(), pool_, workspace_);
      for (int64_t i = 0; i < m; ++i)
        std::memcpy(o.y + gathered_rows_[i] * out, gathered_out_.data() + i * out, out * sizeof(float));
    }
  }
}

}  // namespace mobiq::cpu
