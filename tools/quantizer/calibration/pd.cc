#include "tools/quantizer/calibration/plan_divergence.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "backends/registry.h"

namespace mobiq {
namespace {

// Rows of logits [n][vocab] -> log-probabilities, in place.
void log_softmax_rows(float* logits, int64_t n, int64_t vocab) {
  for (int64_t t = 0; t < n; ++t) {
    float* row = logits + t * vocab;
    const float max = *std::max_element(row, row + vocab);
    double total = 0.0;
    for (int64_t i = 0; i < vocab; ++i) total += std::exp(static_cast<double>(row[i] - max));
    const float log_total = static_cast<float>(std::log(total)) + max;
    for (int64_t i = 0; i < vocab; ++i) row[i] -= log_total;
  }
}

// KL(p || q) for log-probability rows [vocab].
double row_kl(const float* log_p, const float* log_q, int64_t vocab) {
  double total = 0.0;
  for (int64_t i = 0; i < vocab; ++i) total += std::exp(static_cast<double>(log_p[i])) * (log_p[i] - log_q[i]);
  return total;
}

// Mean over rows of KL(p || q) for log-probability rows [n][vocab].
double mean_kl(const float* log_p, const float* log_q, int64_t n, int64_t vocab) {
  double total = 0.0;
  for (int64_t t = 0; t < n; ++t) total += row_kl(log_p + t * vocab, log_q + t * vocab, vocab);
  return total / static_cast<double>(n);
}

Result<std::unique_ptr<Executor>> window_executor(const Model& model, const DivergenceOptions& o) {
  MOBIQ_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, make_backend("cpu", model));
  ExecutorOptions options;
  options.context_size = o.window_tokens;
  options.max_batch = o.window_tokens;
  options.n_threads = o.threads;
  return backend->create_executor(model, options);
}

// Log-probabilities [window_tokens][vocab] of window w under `plan`.
Status window_log_probs(Executor& executor, std::span<const int32_t> tokens, int32_t w, const SlicePlan& plan,
                        const DivergenceOptions& o, int64_t vocab, float* out) {
  ForwardRequest request;
  request.tokens = tokens.subspan(static_cast<size_t>(w) * o.window_tokens, o.window_tokens);
  request.all_logits = true;
  request.plan = plan;
  MOBIQ_RETURN_IF_ERROR(executor.truncate(0));
  MOBIQ_RETURN_IF_ERROR(executor.forward(request, out));
  log_softmax_rows(out, o.window_tokens, vocab);
  return Status::Ok();
}

int32_t window_count(std::span<const int32_t> tokens, const DivergenceOptions& o) {
  return std::min<int32_t>(o.windows, static_cast<int32_t>(tokens.size() / o.window_tokens));
}

}  // namespace

Result<std::vector<double>> plan_divergences(const Model& model, std::span<const int32_t> tokens,
                                             std::span<const SlicePlan> plans, const DivergenceOptions& o) {
  const int32_t windows = window_count(tokens, o);
  if (windows < 1) return invalid_argument("plan divergences need at least one window of tokens");
  MOBIQ_ASSIGN_OR_RETURN(std::unique_ptr<Executor> executor, window_executor(model, o));
  const int64_t vocab = model.config().vocab_size;
  std::vector<float> reference(o.window_tokens * vocab), planned(o.window_tokens * vocab);
  std::vector<double> kl(plans.size(), 0.0);
  for (int32_t w = 0; w < windows; ++w) {
    MOBIQ_RETURN_IF_ERROR(window_log_probs(*executor, tokens, w, SlicePlan{}, o, vocab, reference.data()));
    for (size_t p = 0; p < plans.size(); ++p) {
      MOBIQ_RETURN_IF_ERROR(window_log_probs(*executor, tokens, w, plans[p], o, vocab, planned.data()));
      kl[p] += mean_kl(reference.data(), planned.data(), o.window_tokens, vocab) / windows;
      if (o.progress) o.progress(static_cast<int64_t>(w) * plans.size() + p + 1, static_cast<int64_t>(windows) * plans.size());
    }
  }
  return kl;
}

Result<std::vector<float>> token_divergences(const Model& model, std::span<const int32_t> tokens, const SlicePlan& plan,
                                             const DivergenceOptions& o) {
  const int32_t windows = window_count(tokens, o);
  if (windows < 1) return invalid_argument("token divergences need at least one window of tokens");
  MOBIQ_ASSIGN_OR_RETURN(std::unique_ptr<Executor> executor, window_executor(model, o));
  const int64_t vocab = model.config().vocab_size;
  std::vector<float> reference(o.window_tokens * vocab), planned(o.window_tokens * vocab);
  std::vector<float> kl(static_cast<size_t>(windows) * o.window_tokens);
  for (int32_t w = 0; w < windows; ++w) {
    MOBIQ_RETURN_IF_ERROR(window_log_probs(*executor, tokens, w, SlicePlan{}, o, vocab, reference.data()));
    MOBIQ_RETURN_IF_ERROR(window_log_probs(*executor, tokens, w, plan, o, vocab, planned.data()));
    for (int64_t t = 0; t < o.window_tokens; ++t)
      kl[static_cast<size_t>(w) * o.window_tokens + t] =
          static_cast<float>(row_kl(reference.data() + t * vocab, planned.data() + t * vocab, vocab));
    if (o.progress) o.progress(w + 1, windows);
  }
  return kl;
}

}  // namespace mobiq
