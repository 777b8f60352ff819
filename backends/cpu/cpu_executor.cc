#include "backends/cpu/cpu_executor.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "backends/cpu/cpu_loaded_model.h"
#include "backends/cpu/ops/attention.h"
#include "backends/cpu/sliced_group.h"
#include "backends/forward_checks.h"
#include "runtime/math/rms_norm.h"
#include "runtime/math/router.h"
#include "runtime/math/swiglu.h"
#include "runtime/math/tensor_read.h"

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

CpuExecutor::CpuExecutor(std::shared_ptr<const CpuLoadedModel> loaded, const ExecutorOptions& options)
    : loaded_(std::move(loaded)),
      config_(loaded_->model().config()),
      weights_(loaded_->model().weights()),
      options_(options),
      pool_(options.n_threads),
      rope_(config_),
      workspace_(pool_.size(), std::max({config_.hidden_size, config_.q_dim(), config_.intermediate_size})) {
  const int64_t batch = options.max_batch, ctx = options.context_size;
  plan_.slices = plan_.max_slices = std::max(1, loaded_->model().max_slices());
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
  rope_cos_.resize(batch * (config_.head_dim / 2));
  rope_sin_.resize(batch * (config_.head_dim / 2));
  const int64_t widest_in = std::max({config_.hidden_size, config_.q_dim(), config_.intermediate_size});
  const int64_t widest_out = std::max({config_.q_dim(), config_.kv_dim(), config_.hidden_size, config_.intermediate_size});
  int32_t widest_router = 0;
  for (const LayerWeights& layer : weights_.layers)
    for (const RouterWeights& router : layer.routers) widest_router = std::max(widest_router, router.hidden);
  slices_.resize(batch);
  if (options.record_slices) recorded_.resize(batch * config_.n_layers * kLinearGroups);
  logits_.resize(config_.vocab_size);
  router_scores_.resize(batch * kResidualPlanes);
  router_hidden_.resize(widest_router);
  gathered_in_.resize(batch * widest_in);
  const int64_t widest_group = std::max<int64_t>({config_.q_dim() + 2 * config_.kv_dim(),
                                                   int64_t{2} * config_.intermediate_size, widest_out});
  gathered_out_.resize(batch * widest_group);
  if (loaded_->kernels() != nullptr) {
    const int64_t widest_input = std::max<int64_t>(widest_in, config_.hidden_size);
    if (Status s = quantized_.reserve(batch, widest_input); !s.ok()) throw std::bad_alloc();
  }
  gathered_rows_.resize(batch);
  k_cache_.resize(config_.n_layers * ctx * config_.kv_dim());
  v_cache_.resize(config_.n_layers * ctx * config_.kv_dim());
}

Status CpuExecutor::set_plan(const SlicePlan& plan) {
  MOBIQ_RETURN_IF_ERROR(validate_plan(plan, config_, loaded_->has_routers()));
  try {
    plan_ = plan;
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kOutOfMemory, "cannot copy the slice plan");
  }
  return Status::Ok();
}

Status CpuExecutor::truncate(int32_t position) {
  if (position < 0) return invalid_argument("truncate: negative position");
  cached_ = std::min(cached_, position);
  return Status::Ok();
}

Status CpuExecutor::read_slice_counts(std::span<uint8_t> out) const {
  if (!options_.record_slices) return invalid_argument("read_slice_counts: the executor was created without record_slices");
  const size_t count = static_cast<size_t>(recorded_tokens_) * config_.n_layers * kLinearGroups;
  if (out.size() != count)
    return invalid_argument("read_slice_counts: the last forward pass has " + std::to_string(count) +
                            " counts, the buffer holds " + std::to_string(out.size()));
  std::copy(recorded_.begin(), recorded_.begin() + count, out.begin());
  return Status::Ok();
}

// The whole forward pass, top down: embed, layers, final norm, output head.
Status CpuExecutor::forward(std::span<const int32_t> tokens, int32_t start_position, const ForwardOutput& output) {
  MOBIQ_RETURN_IF_ERROR(validate_forward(tokens, start_position, cached_, options_, config_, plan_, output));
  const int64_t n = static_cast<int64_t>(tokens.size());
  const int64_t hidden = config_.hidden_size;
  start_ = start_position;
  const int64_t half = config_.head_dim / 2;
  for (int64_t t = 0; t < n; ++t) {
    math::read_row(weights_.token_embedding, tokens[t], x_.data() + t * hidden);
    rope_.angles(start_position + static_cast<int32_t>(t), rope_cos_.data() + t * half, rope_sin_.data() + t * half);
  }

  std::shared_lock residency(loaded_->residency_mutex());
  for (int layer = 0; layer < config_.n_layers; ++layer) {
    MOBIQ_RETURN_IF_ERROR(attention_block(layer, n));
    MOBIQ_RETURN_IF_ERROR(feed_forward_block(layer, n));
  }
  stats_.tokens += n;
  recorded_tokens_ = n;
  cached_ = start_position + static_cast<int32_t>(n);
  return write_output(n, output);
}

// Only the rows whose logits are wanted go through the (large) output head.
Status CpuExecutor::write_output(int64_t n, const ForwardOutput& output) {
  if (output.kind == ForwardOutput::Kind::kNone) return Status::Ok();
  const int64_t hidden = config_.hidden_size;
  const int64_t first = output.kind == ForwardOutput::Kind::kAllLogits ? 0 : n - 1;
  const int64_t rows = n - first;
  float* logits = output.kind == ForwardOutput::Kind::kArgmax ? logits_.data() : output.logits;
  math::rms_norm(x_.data() + first * hidden, weights_.final_norm, config_.rms_norm_eps, rows, hidden, normed_.data());
  if (const PackedDenseQ8* head = loaded_->packed_head(); head != nullptr) {
    MOBIQ_RETURN_IF_ERROR(dense_q8_matmul(*loaded_->kernels(), *head, normed_.data(), rows, logits, quantized_, pool_));
  } else {
    math::matmul_dense(weights_.output, normed_.data(), rows, logits, pool_, workspace_);
  }
  if (output.kind == ForwardOutput::Kind::kArgmax) {
    const KernelSet* set = loaded_->kernels();
    *output.argmax = static_cast<int32_t>(set != nullptr && set->argmax != nullptr
                                              ? set->argmax(logits_.data(), config_.vocab_size)
                                              : std::max_element(logits_.begin(), logits_.end()) - logits_.begin());
  }
  return Status::Ok();
}

// x += o_proj(attention(rope(q_proj(norm(x))), cache + rope(k_proj(...)), cache + v_proj(...)))
Status CpuExecutor::attention_block(int layer, int64_t n) {
  const LayerWeights& w = weights_.layers[layer];
  const int64_t hidden = config_.hidden_size, q_dim = config_.q_dim(), kv_dim = config_.kv_dim();
  const int32_t start = start_;
  math::rms_norm(x_.data(), w.attn_norm, config_.rms_norm_eps, n, hidden, normed_.data());
  MOBIQ_RETURN_IF_ERROR(run_group(layer, LinearGroup::kQkv, normed_.data(), n,
                                  {{&w.q, 0, q_.data()}, {&w.k, 1, k_.data()}, {&w.v, 2, v_.data()}}));

  float* k_cache = k_cache_.data() + static_cast<int64_t>(layer) * options_.context_size * kv_dim;
  float* v_cache = v_cache_.data() + static_cast<int64_t>(layer) * options_.context_size * kv_dim;
  const int64_t half = config_.head_dim / 2;
  for (int64_t t = 0; t < n; ++t) {
    const int32_t position = start + static_cast<int32_t>(t);
    const float *cos = rope_cos_.data() + t * half, *sin = rope_sin_.data() + t * half;
    rope_.rotate(q_.data() + t * q_dim, config_.n_heads, cos, sin);
    rope_.rotate(k_.data() + t * kv_dim, config_.n_kv_heads, cos, sin);
    std::memcpy(k_cache + position * kv_dim, k_.data() + t * kv_dim, kv_dim * sizeof(float));
    std::memcpy(v_cache + position * kv_dim, v_.data() + t * kv_dim, kv_dim * sizeof(float));
  }
  const AttentionShape shape{config_.n_heads, config_.n_kv_heads, config_.head_dim};
  attention(shape, q_.data(), k_cache, v_cache, n, start, mixed_.data(), scores_.data(), options_.context_size,
            pool_, loaded_->kernels() != nullptr ? loaded_->kernels()->attend : nullptr);
  MOBIQ_RETURN_IF_ERROR(run_group(layer, LinearGroup::kO, mixed_.data(), n, {{&w.o, 3, delta_.data()}}));
  add_in_place(x_.data(), delta_.data(), n * hidden);
  return Status::Ok();
}

// x += down_proj(silu(gate_proj(norm(x))) * up_proj(norm(x)))
Status CpuExecutor::feed_forward_block(int layer, int64_t n) {
  const LayerWeights& w = weights_.layers[layer];
  const int64_t hidden = config_.hidden_size, inter = config_.intermediate_size;
  math::rms_norm(x_.data(), w.ffn_norm, config_.rms_norm_eps, n, hidden, normed_.data());
  MOBIQ_RETURN_IF_ERROR(run_group(layer, LinearGroup::kGateUp, normed_.data(), n,
                                  {{&w.gate, 4, gate_.data()}, {&w.up, 5, up_.data()}}));
  if (const KernelSet* set = loaded_->kernels(); set != nullptr && set->swiglu != nullptr) {
    set->swiglu(gate_.data(), up_.data(), n * inter);
  } else {
    math::swiglu(gate_.data(), up_.data(), n * inter);
  }
  MOBIQ_RETURN_IF_ERROR(run_group(layer, LinearGroup::kDown, gate_.data(), n, {{&w.down, 6, delta_.data()}}));
  add_in_place(x_.data(), delta_.data(), n * hidden);
  return Status::Ok();
}

}  // namespace mobiq::cpu

namespace mobiq::cpu {

void CpuExecutor::plan_group(int layer, LinearGroup group, const float* x, int64_t n, int planes) {
  const SlicePlan& plan = plan_;
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
      math::router_scores(router, x, n, router_hidden_.data(), router_scores_.data());
      const float threshold = plan.thresholds[layer * kLinearGroups + g] + plan.threshold_offset;
      for (int64_t t = 0; t < n; ++t) slices_[t] = math::slices_from_scores(router_scores_.data() + t * kResidualPlanes, threshold);
      stats_.router_parameters += static_cast<double>(router.parameters()) * n;
      break;
    }
    case SlicePlan::Mode::kRandom: {
      const int base = static_cast<int>(plan.random_mean);
      const double extra = plan.random_mean - base;
      for (int64_t t = 0; t < n; ++t) {
        const uint64_t key = (plan.random_seed * 0x9E3779B97F4A7C15ull) ^
                             ((static_cast<uint64_t>(start_ + t) << 16) | (layer << 2) | g);
        slices_[t] = static_cast<uint8_t>(base + (uniform_from_hash(key) < extra ? 1 : 0));
      }
      break;
    }
  }
  const int cap = std::min({plan.max_slices, planes, std::max(1, loaded_->resident_planes())});
  for (int64_t t = 0; t < n; ++t) slices_[t] = static_cast<uint8_t>(std::min<int>(slices_[t], cap));
  if (options_.record_slices)
    for (int64_t t = 0; t < n; ++t) recorded_[(t * config_.n_layers + layer) * kLinearGroups + g] = slices_[t];
}

Status CpuExecutor::run_group(int layer, LinearGroup group, const float* x, int64_t n,
                              std::initializer_list<GroupOutput> outputs) {
  const int64_t in = outputs.begin()->weights->in();
  if (observer_) observer_->observe(layer, group, x, n, in);
  if (!outputs.begin()->weights->is_sliced()) {  // dense: no slices to choose
    for (const GroupOutput& o : outputs) math::matmul(*o.weights, kMaxPlanes, x, n, o.y, pool_, workspace_);
    return Status::Ok();
  }
  plan_group(layer, group, x, n, outputs.begin()->weights->sliced.n_planes);
  int64_t count[kMaxPlanes + 1] = {};
  for (int64_t t = 0; t < n; ++t) ++count[slices_[t]];
  double weights = 0.0;
  for (const GroupOutput& o : outputs) weights += static_cast<double>(o.weights->out()) * in;
  for (int k = 1; k <= kMaxPlanes; ++k) stats_.slice_weights += weights * k * count[k];
  for (int k = 1; k <= kMaxPlanes; ++k) {
    if (count[k] == 0) continue;
    // Tokens reading k planes, gathered into consecutive rows unless every token does.
    const bool all = count[k] == n;
    const float* xk = x;
    int64_t m = n;
    if (!all) {
      m = 0;
      for (int64_t t = 0; t < n; ++t)
        if (slices_[t] == k) {
          std::memcpy(gathered_in_.data() + m * in, x + t * in, in * sizeof(float));
          gathered_rows_[m++] = t;
        }
      xk = gathered_in_.data();
    }
    // Each linear's output for those rows: in place, or its own region of gathered_out_.
    float* yk[kMaxGroupLinears];
    int64_t offset = 0, i = 0;
    for (const GroupOutput& o : outputs) {
      yk[i++] = all ? o.y : gathered_out_.data() + offset;
      offset += m * o.weights->out();
    }
    MOBIQ_RETURN_IF_ERROR(group_matmul(layer, outputs, k, xk, m, in, std::span<float* const>(yk, i)));
    if (all) return Status::Ok();
    i = 0;
    for (const GroupOutput& o : outputs) {
      const int64_t out = o.weights->out();
      for (int64_t r = 0; r < m; ++r) std::memcpy(o.y + gathered_rows_[r] * out, yk[i] + r * out, out * sizeof(float));
      ++i;
    }
  }
  return Status::Ok();
}

// The group's linears on m tokens that all read k planes: the int8 kernels when the loaded model has
// a kernel set (one quantization of x, one parallel job), else the f32 reference, one linear at a time.
Status CpuExecutor::group_matmul(int layer, std::initializer_list<GroupOutput> outputs, int k, const float* x,
                                 int64_t m, int64_t in, std::span<float* const> y) {
  const KernelSet* kernels = loaded_->kernels();
  size_t i = 0;
  if (kernels == nullptr) {
    for (const GroupOutput& o : outputs) math::matmul(*o.weights, k, x, m, y[i++], pool_, workspace_);
    return Status::Ok();
  }
  const PackedSliced* packed[kMaxGroupLinears];
  for (const GroupOutput& o : outputs) packed[i++] = &loaded_->packed(layer, o.index);
  return sliced_group_matmul(*kernels, std::span<const PackedSliced* const>(packed, i), y, k, x, m, in, quantized_,
                             pool_);
}

}  // namespace mobiq::cpu
