#include "backends/cuda/cuda_executor.h"

#include <algorithm>
#include <cstddef>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "backends/forward_checks.h"
#include "backends/cuda/cuda_loaded_model.h"
#include "backends/cuda/cuda_status.h"
#include "backends/cuda/ops/ops.h"

namespace mobiq::cuda {
namespace {

// Tokens per attention launch in a prefill, which bounds the split-K scratch.
constexpr int kAttentionTokens = 64;
// Rows of logits computed per head launch for kAllLogits, which bounds the logits buffer.
constexpr int kHeadRows = 16;

}  // namespace

CudaExecutor::CudaExecutor(std::shared_ptr<const CudaLoadedModel> loaded, const ExecutorOptions& options)
    : loaded_(std::move(loaded)), config_(loaded_->model().config()), options_(options) {
  plan_.slices = plan_.max_slices = std::max(1, loaded_->model().max_slices());
}

CudaExecutor::~CudaExecutor() {
  if (stream_ != nullptr) {
    cudaStreamSynchronize(stream_);
    cudaStreamDestroy(stream_);
  }
}

Result<std::unique_ptr<CudaExecutor>> CudaExecutor::create(std::shared_ptr<const CudaLoadedModel> loaded,
                                                          const ExecutorOptions& options) {
  if (options.context_size <= 0 || options.max_batch <= 0)
    return invalid_argument("context size and batch must be positive");
  std::unique_ptr<CudaExecutor> executor(new CudaExecutor(std::move(loaded), options));
  MOBIQ_RETURN_IF_ERROR(executor->allocate().with_context("creating a cuda executor"));
  return executor;
}

Status CudaExecutor::allocate() {
  MOBIQ_CUDA_RETURN_IF_ERROR(cudaSetDevice(loaded_->device()));
  MOBIQ_CUDA_RETURN_IF_ERROR(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  const int64_t batch = options_.max_batch, ctx = options_.context_size, layers = config_.n_layers;
  const int64_t f = sizeof(float);
  auto make = [](DeviceBuffer& buffer, int64_t bytes) -> Status {
    MOBIQ_ASSIGN_OR_RETURN(buffer, DeviceBuffer::allocate(static_cast<size_t>(bytes)));
    return Status::Ok();
  };
  const AttentionShape shape{config_.n_heads, config_.n_kv_heads, config_.head_dim};
  MOBIQ_RETURN_IF_ERROR(make(tokens_buffer_, batch * sizeof(int32_t)));
  MOBIQ_RETURN_IF_ERROR(make(x_, batch * config_.hidden_size * f));
  MOBIQ_RETURN_IF_ERROR(make(normed_, batch * config_.hidden_size * f));
  MOBIQ_RETURN_IF_ERROR(make(q_, batch * config_.q_dim() * f));
  MOBIQ_RETURN_IF_ERROR(make(k_, batch * config_.kv_dim() * f));
  MOBIQ_RETURN_IF_ERROR(make(v_, batch * config_.kv_dim() * f));
  MOBIQ_RETURN_IF_ERROR(make(mixed_, batch * config_.q_dim() * f));
  MOBIQ_RETURN_IF_ERROR(make(delta_, batch * config_.hidden_size * f));
  MOBIQ_RETURN_IF_ERROR(make(gate_, batch * config_.intermediate_size * f));
  MOBIQ_RETURN_IF_ERROR(make(up_, batch * config_.intermediate_size * f));
  const int attention_tokens = static_cast<int>(std::min<int64_t>(batch, kAttentionTokens));
  MOBIQ_RETURN_IF_ERROR(make(partial_, attention_partial_floats(attention_tokens, shape, static_cast<int>(ctx)) * f));
  MOBIQ_RETURN_IF_ERROR(make(logits_, int64_t{kHeadRows} * config_.vocab_size * f));
  MOBIQ_RETURN_IF_ERROR(make(argmax_, sizeof(int32_t)));
  MOBIQ_RETURN_IF_ERROR(make(k_cache_, layers * ctx * config_.kv_dim() * int64_t{sizeof(__half)}));
  MOBIQ_RETURN_IF_ERROR(make(v_cache_, layers * ctx * config_.kv_dim() * int64_t{sizeof(__half)}));
  MOBIQ_RETURN_IF_ERROR(make(router_scores_, batch * kResidualPlanes * f));
  MOBIQ_RETURN_IF_ERROR(make(slices_, batch));
  if (options_.record_slices) MOBIQ_RETURN_IF_ERROR(make(recorded_, batch * layers * kLinearGroups));
  MOBIQ_RETURN_IF_ERROR(make(stats_, 2 * sizeof(double)));
  MOBIQ_RETURN_IF_ERROR(make(plan_buffer_, sizeof(DevicePlan)));
  MOBIQ_RETURN_IF_ERROR(make(group_slices_, layers * kLinearGroups));
  MOBIQ_RETURN_IF_ERROR(make(thresholds_, layers * kLinearGroups * f));
  return make(explicit_slices_, batch * layers * kLinearGroups);
}

// Per-group counts and thresholds go to device memory now; explicit counts with each forward pass.
Status CudaExecutor::set_plan(const SlicePlan& plan) {
  MOBIQ_RETURN_IF_ERROR(validate_plan(plan, config_, loaded_->has_routers()));
  if (!sticky_.ok()) return sticky_;
  MOBIQ_CUDA_RETURN_IF_ERROR(cudaSetDevice(loaded_->device()));
  MOBIQ_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream_));
  if (plan.mode == SlicePlan::Mode::kPerGroup) MOBIQ_RETURN_IF_ERROR(group_slices_.upload(plan.group_slices.data(), plan.group_slices.size()));
  if (plan.mode == SlicePlan::Mode::kRouted)
    MOBIQ_RETURN_IF_ERROR(thresholds_.upload(plan.thresholds.data(), plan.thresholds.size() * sizeof(float)));
  try {
    plan_ = plan;
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kOutOfMemory, "cannot copy the slice plan");
  }
  return Status::Ok();
}

Status CudaExecutor::forward(std::span<const int32_t> tokens, int32_t start_position, const ForwardOutput& output) {
  if (!sticky_.ok()) return sticky_;
  MOBIQ_RETURN_IF_ERROR(validate_forward(tokens, start_position, cached_, options_, config_, plan_, output));
  MOBIQ_CUDA_RETURN_IF_ERROR(cudaSetDevice(loaded_->device()));
  std::shared_lock residency(loaded_->residency_mutex());  // held until the stream is idle
  Status s = enqueue_forward(tokens, start_position, output);
  const cudaError_t synced = cudaStreamSynchronize(stream_);
  if (synced != cudaSuccess) {
    sticky_ = cuda_status(synced, "cudaStreamSynchronize (a kernel of the forward pass)");
    return sticky_;
  }
  if (!s.ok()) return s;
  const int32_t n = static_cast<int32_t>(tokens.size());
  tokens_ += n;
  recorded_tokens_ = n;
  cached_ = start_position + n;
  return Status::Ok();
}

// The whole pass, top down: plan and tokens up, embed, layers, final norm, head, output down.
Status CudaExecutor::enqueue_forward(std::span<const int32_t> tokens, int32_t start_position, const ForwardOutput& output) {
  const int n = static_cast<int>(tokens.size());
  DevicePlan plan{};
  plan.mode = static_cast<int32_t>(plan_.mode);
  plan.slices = plan_.slices;
  plan.cap = std::max(1, std::min({plan_.max_slices, loaded_->resident_planes(), std::max(1, loaded_->model().max_slices())}));
  plan.n_layers = config_.n_layers;
  plan.start = start_position;
  plan.threshold_offset = plan_.threshold_offset;
  plan.random_base = static_cast<int32_t>(plan_.random_mean);
  plan.random_extra = plan_.random_mean - plan.random_base;
  plan.random_seed = plan_.random_seed;
  MOBIQ_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(plan_buffer_.data(), &plan, sizeof plan, cudaMemcpyHostToDevice, stream_));
  if (plan_.mode == SlicePlan::Mode::kExplicit)
    MOBIQ_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(explicit_slices_.data(), plan_.explicit_slices.data(),
                                               plan_.explicit_slices.size(), cudaMemcpyHostToDevice, stream_));
  MOBIQ_CUDA_RETURN_IF_ERROR(
      cudaMemcpyAsync(tokens_buffer_.data(), tokens.data(), n * sizeof(int32_t), cudaMemcpyHostToDevice, stream_));
  MOBIQ_RETURN_IF_ERROR(embed_rows(loaded_->embedding(), tokens_buffer_.as<int32_t>(), n, x_.as<float>(), stream_));
  for (int layer = 0; layer < config_.n_layers; ++layer) MOBIQ_RETURN_IF_ERROR(enqueue_layer(layer, n, start_position));
  return enqueue_output(n, output);
}

// x += o(attention(rope(q(norm x)), cache + rope(k(norm x)), cache + v(norm x)));
// x += down(silu(gate(norm x)) * up(norm x)).
Status CudaExecutor::enqueue_layer(int layer, int n, int32_t start_position) {
  const int64_t hidden = config_.hidden_size, q_dim = config_.q_dim(), kv_dim = config_.kv_dim();
  const AttentionShape shape{config_.n_heads, config_.n_kv_heads, config_.head_dim};
  const int32_t* start = reinterpret_cast<const int32_t*>(plan_buffer_.as<char>() + offsetof(DevicePlan, start));
  __half* k_cache = k_cache_.as<__half>() + int64_t{layer} * options_.context_size * kv_dim;
  __half* v_cache = v_cache_.as<__half>() + int64_t{layer} * options_.context_size * kv_dim;
  MOBIQ_RETURN_IF_ERROR(rms_norm(x_.as<float>(), loaded_->attn_norm(layer), config_.rms_norm_eps, n,
                                 static_cast<int>(hidden), normed_.as<float>(), stream_));
  MOBIQ_RETURN_IF_ERROR(enqueue_group(layer, LinearGroup::kQkv, normed_.as<float>(), n,
                                      {{0, q_.as<float>()}, {1, k_.as<float>()}, {2, v_.as<float>()}}));
  MOBIQ_RETURN_IF_ERROR(rope_store_kv(q_.as<float>(), k_.as<float>(), v_.as<float>(), loaded_->inv_freq(), start, n,
                                      shape, k_cache, v_cache, stream_));
  for (int first = 0; first < n; first += kAttentionTokens) {
    const int count = std::min(kAttentionTokens, n - first);
    MOBIQ_RETURN_IF_ERROR(attention(q_.as<float>() + first * q_dim, k_cache, v_cache, start, first, count,
                                    start_position + first + count, shape, partial_.as<float>(),
                                    mixed_.as<float>() + first * q_dim, stream_));
  }
  MOBIQ_RETURN_IF_ERROR(enqueue_group(layer, LinearGroup::kO, mixed_.as<float>(), n, {{3, delta_.as<float>()}}));
  MOBIQ_RETURN_IF_ERROR(residual_add(x_.as<float>(), delta_.as<float>(), n * hidden, stream_));
  MOBIQ_RETURN_IF_ERROR(rms_norm(x_.as<float>(), loaded_->ffn_norm(layer), config_.rms_norm_eps, n,
                                 static_cast<int>(hidden), normed_.as<float>(), stream_));
  MOBIQ_RETURN_IF_ERROR(enqueue_group(layer, LinearGroup::kGateUp, normed_.as<float>(), n,
                                      {{4, gate_.as<float>()}, {5, up_.as<float>()}}));
  MOBIQ_RETURN_IF_ERROR(swiglu(gate_.as<float>(), up_.as<float>(), n * int64_t{config_.intermediate_size}, stream_));
  MOBIQ_RETURN_IF_ERROR(enqueue_group(layer, LinearGroup::kDown, gate_.as<float>(), n, {{6, delta_.as<float>()}}));
  return residual_add(x_.as<float>(), delta_.as<float>(), n * hidden, stream_);
}

// One group of linears sharing input x [n][in]: the plan (and router) write each token's slice count
// on the device, then each linear reads planes 0..k-1 per token.
Status CudaExecutor::enqueue_group(int layer, LinearGroup group, const float* x, int n,
                                   std::initializer_list<Output> outputs) {
  if (!loaded_->sliced()) {
    for (const Output& o : outputs)
      MOBIQ_RETURN_IF_ERROR(dense_matmul(loaded_->dense_linear(layer, o.index), x, n, o.y, stream_));
    return Status::Ok();
  }
  const int g = static_cast<int>(group);
  double weights = 0.0;
  for (const Output& o : outputs) {
    const SlicedView w = loaded_->sliced_linear(layer, o.index);
    weights += static_cast<double>(w.out) * w.in;
  }
  double router_parameters = 0.0;
  if (plan_.mode == SlicePlan::Mode::kRouted) {
    const RouterView router = loaded_->router(layer, g);
    router_parameters = static_cast<double>(loaded_->model().weights().layers[layer].routers[g].parameters());
    MOBIQ_RETURN_IF_ERROR(router_scores(router, x, n, router_scores_.as<float>(), stream_));
  }
  const PlanArrays arrays{plan_buffer_.as<DevicePlan>(), group_slices_.as<uint8_t>(), thresholds_.as<float>(),
                          explicit_slices_.as<uint8_t>()};
  MOBIQ_RETURN_IF_ERROR(plan_slices(arrays, router_scores_.as<float>(), layer, g, n, weights, router_parameters,
                                    slices_.as<uint8_t>(), options_.record_slices ? recorded_.as<uint8_t>() : nullptr,
                                    stats_.as<double>(), stream_));
  for (const Output& o : outputs) {
    const SlicedView w = loaded_->sliced_linear(layer, o.index);
    MOBIQ_RETURN_IF_ERROR(n == 1 ? sliced_gemv(w, x, slices_.as<uint8_t>(), n, o.y, stream_)
                                 : sliced_gemm(w, x, slices_.as<uint8_t>(), n, o.y, stream_));
  }
  return Status::Ok();
}

// Only the rows whose logits are wanted go through the final norm and the head.
Status CudaExecutor::enqueue_output(int n, const ForwardOutput& output) {
  if (output.kind == ForwardOutput::Kind::kNone) return Status::Ok();
  const int64_t hidden = config_.hidden_size, vocab = config_.vocab_size;
  const int first = output.kind == ForwardOutput::Kind::kAllLogits ? 0 : n - 1;
  const int rows = n - first;
  MOBIQ_RETURN_IF_ERROR(rms_norm(x_.as<float>() + first * hidden, loaded_->final_norm(), config_.rms_norm_eps, rows,
                                 static_cast<int>(hidden), normed_.as<float>(), stream_));
  for (int r = 0; r < rows; r += kHeadRows) {
    const int count = std::min(kHeadRows, rows - r);
    MOBIQ_RETURN_IF_ERROR(dense_matmul(loaded_->head(), normed_.as<float>() + r * hidden, count, logits_.as<float>(), stream_));
    if (output.kind == ForwardOutput::Kind::kArgmax) {
      MOBIQ_RETURN_IF_ERROR(argmax(logits_.as<float>(), static_cast<int>(vocab), argmax_.as<int32_t>(), stream_));
      MOBIQ_CUDA_RETURN_IF_ERROR(
          cudaMemcpyAsync(output.argmax, argmax_.data(), sizeof(int32_t), cudaMemcpyDeviceToHost, stream_));
    } else {
      MOBIQ_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(output.logits + r * vocab, logits_.data(), count * vocab * sizeof(float),
                                                 cudaMemcpyDeviceToHost, stream_));
    }
  }
  return Status::Ok();
}

ReadStats CudaExecutor::read_stats() const {
  ReadStats stats;
  stats.tokens = tokens_;
  double totals[2] = {0.0, 0.0};
  if (sticky_.ok() && cudaSetDevice(loaded_->device()) == cudaSuccess &&
      cudaMemcpyAsync(totals, stats_.data(), sizeof totals, cudaMemcpyDeviceToHost, stream_) == cudaSuccess &&
      cudaStreamSynchronize(stream_) == cudaSuccess) {
    stats.slice_weights = totals[0];
    stats.router_parameters = totals[1];
  }
  return stats;
}

Status CudaExecutor::read_slice_counts(std::span<uint8_t> out) const {
  if (!options_.record_slices) return invalid_argument("read_slice_counts: the executor was created without record_slices");
  const size_t count = static_cast<size_t>(recorded_tokens_) * config_.n_layers * kLinearGroups;
  if (out.size() != count)
    return invalid_argument("read_slice_counts: the last forward pass has " + std::to_string(count) +
                            " counts, the buffer holds " + std::to_string(out.size()));
  if (!sticky_.ok()) return sticky_;
  if (count == 0) return Status::Ok();
  MOBIQ_CUDA_RETURN_IF_ERROR(cudaSetDevice(loaded_->device()));
  return recorded_.download(out.data(), count);
}

Status CudaExecutor::truncate(int32_t position) {
  if (position < 0) return invalid_argument("truncate: negative position");
  cached_ = std::min(cached_, position);
  return Status::Ok();
}

}  // namespace mobiq::cuda
