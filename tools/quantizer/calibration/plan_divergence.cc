#include "tools/quantizer/calibration/plan_divergence.h"

#include <algorithm>
#include <memory>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/cpu_loaded_model.h"
#include "runtime/engine/divergence.h"

namespace mobiq {
namespace {

// Log-probabilities [window_tokens][vocab] of window w under `plan`.
Status window_log_probs(Executor& executor, std::span<const int32_t> tokens, int32_t w, const SlicePlan& plan,
                        int32_t window_tokens, int64_t vocab, float* out) {
  ForwardOutput output;
  output.kind = ForwardOutput::Kind::kAllLogits;
  output.logits = out;
  MOBIQ_RETURN_IF_ERROR(executor.set_plan(plan));
  MOBIQ_RETURN_IF_ERROR(executor.truncate(0));
  MOBIQ_RETURN_IF_ERROR(executor.forward(tokens.subspan(static_cast<size_t>(w) * window_tokens, window_tokens), 0, output));
  log_softmax_rows(out, window_tokens, vocab);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<cpu::CpuExecutor>> window_executor(const Model& model, int32_t window_tokens, int32_t threads) {
  MOBIQ_RETURN_IF_ERROR(CpuBackend().supports(model));
  MOBIQ_ASSIGN_OR_RETURN(std::shared_ptr<cpu::CpuLoadedModel> loaded, cpu::CpuLoadedModel::load(model, nullptr));
  ExecutorOptions options;
  options.context_size = window_tokens;
  options.max_batch = window_tokens;
  options.n_threads = threads;
  return loaded->create_cpu_executor(options);
}

Result<std::vector<double>> plan_divergences(const Model& model, std::span<const int32_t> tokens,
                                             std::span<const SlicePlan> plans, const DivergenceOptions& o) {
  const int32_t windows = std::min<int32_t>(o.windows, static_cast<int32_t>(tokens.size() / o.window_tokens));
  if (windows < 1) return invalid_argument("plan divergences need at least one window of tokens");
  MOBIQ_ASSIGN_OR_RETURN(std::unique_ptr<cpu::CpuExecutor> executor, window_executor(model, o.window_tokens, o.threads));
  const int64_t vocab = model.config().vocab_size;
  SlicePlan all_slices;
  all_slices.slices = all_slices.max_slices = std::max(1, model.max_slices());
  std::vector<float> reference(o.window_tokens * vocab), planned(o.window_tokens * vocab);
  std::vector<double> kl(plans.size(), 0.0);
  for (int32_t w = 0; w < windows; ++w) {
    MOBIQ_RETURN_IF_ERROR(window_log_probs(*executor, tokens, w, all_slices, o.window_tokens, vocab, reference.data()));
    for (size_t p = 0; p < plans.size(); ++p) {
      MOBIQ_RETURN_IF_ERROR(window_log_probs(*executor, tokens, w, plans[p], o.window_tokens, vocab, planned.data()));
      DivergenceTotals totals;
      accumulate_divergence(reference.data(), planned.data(), o.window_tokens, vocab, totals);
      kl[p] += totals.mean_kl() / windows;
      if (o.progress) o.progress(static_cast<int64_t>(w) * plans.size() + p + 1, static_cast<int64_t>(windows) * plans.size());
    }
  }
  return kl;
}

}  // namespace mobiq
