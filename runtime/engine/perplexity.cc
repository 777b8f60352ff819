#include "runtime/engine/perplexity.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <new>
#include <string>

#include "runtime/engine/divergence.h"
#include "runtime/engine/precision.h"
#include "runtime/tokenizer/documents.h"

namespace mobiq {

double negative_log_likelihood(const float* logits, int32_t vocab, int32_t target) {
  float max_logit = logits[0];
  for (int32_t i = 1; i < vocab; ++i) max_logit = std::max(max_logit, logits[i]);
  double total = 0.0;
  for (int32_t i = 0; i < vocab; ++i) total += std::exp(static_cast<double>(logits[i] - max_logit));
  return std::log(total) - static_cast<double>(logits[target] - max_logit);
}

Result<std::vector<int32_t>> protocol_tokens(const Tokenizer& tokenizer, int32_t bos_id, std::string_view file_text) {
  if (bos_id < 0) return unsupported("the model has no BOS token for the protocol's first position");
  EncodeOptions options;
  options.add_bos = false;
  MOBIQ_ASSIGN_OR_RETURN(std::vector<int32_t> ids, tokenizer.encode(join_documents(file_text), options));
  ids.insert(ids.begin(), bos_id);
  return ids;
}

Result<PerplexityResult> evaluate_perplexity(Executor& executor, const Model& model, const std::vector<int32_t>& tokens,
                                             const PerplexityOptions& options) {
  const int32_t vocab = model.config().vocab_size;
  if (options.window < 2) return invalid_argument("perplexity window must be at least 2 tokens");
  if (options.plan.mode == SlicePlan::Mode::kExplicit)
    return invalid_argument("perplexity takes uniform or routed plans (explicit plans are per window)");
  int64_t windows = static_cast<int64_t>(tokens.size()) / options.window;
  if (windows == 0)
    return invalid_argument("text has " + std::to_string(tokens.size()) + " tokens, fewer than one window of " +
                            std::to_string(options.window));
  if (options.max_windows > 0) windows = std::min<int64_t>(windows, options.max_windows);
  if (options.divergence && model.max_slices() == 0)
    return invalid_argument("KL divergence needs a sliced model: it compares a plan with all of its slices");

  std::vector<float> logits, reference;
  try {
    logits.resize(static_cast<size_t>(options.window) * vocab);
    if (options.divergence) reference.resize(logits.size());
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kOutOfMemory, "cannot allocate logits for a window");
  }
  SlicePlan all_slices;
  all_slices.slices = all_slices.max_slices = std::max(1, model.max_slices());
  DivergenceTotals divergence;
  PerplexityResult result;
  result.tokens = static_cast<int64_t>(tokens.size());
  ReadStats stats;  // what the scored passes read (not the reference passes)
  ForwardOutput output;
  output.kind = ForwardOutput::Kind::kAllLogits;
  SlicePlan plan = options.plan;  // the controller's offset and cap move on a copy
  if (!options.divergence) MOBIQ_RETURN_IF_ERROR(executor.set_plan(plan));
  const auto started = std::chrono::steady_clock::now();
  for (int64_t w = 0; w < windows; ++w) {
    const std::span<const int32_t> window(tokens.data() + w * options.window, options.window);
    if (options.spend != nullptr) {
      const SpendPlan next = options.spend->plan_for(options.window, options.plan.max_slices);
      if (next.threshold_offset != plan.threshold_offset || next.max_slices != plan.max_slices) {
        plan.threshold_offset = next.threshold_offset;
        plan.max_slices = next.max_slices;
        if (!options.divergence) MOBIQ_RETURN_IF_ERROR(executor.set_plan(plan));
      }
    }
    if (options.divergence) {
      MOBIQ_RETURN_IF_ERROR(executor.set_plan(all_slices));
      MOBIQ_RETURN_IF_ERROR(executor.truncate(0));
      output.logits = reference.data();
      MOBIQ_RETURN_IF_ERROR(executor.forward(window, 0, output));
      log_softmax_rows(reference.data(), options.window - 1, vocab);
      MOBIQ_RETURN_IF_ERROR(executor.set_plan(plan));
    }
    MOBIQ_RETURN_IF_ERROR(executor.truncate(0));
    output.logits = logits.data();
    const ReadStats before = executor.read_stats();
    MOBIQ_RETURN_IF_ERROR(executor.forward(window, 0, output));
    const ReadStats read = read_between(before, executor.read_stats());
    stats.slice_weights += read.slice_weights;
    stats.router_parameters += read.router_parameters;
    stats.tokens += read.tokens;
    if (options.spend != nullptr)
      options.spend->update(bits_per_weight(read, sliced_weight_count(model.weights())), read.tokens);
    for (int32_t t = 0; t + 1 < options.window; ++t)
      result.total_nll += negative_log_likelihood(logits.data() + static_cast<int64_t>(t) * vocab, vocab, window[t + 1]);
    if (options.divergence) {
      log_softmax_rows(logits.data(), options.window - 1, vocab);
      accumulate_divergence(reference.data(), logits.data(), options.window - 1, vocab, divergence);
    }
    result.predictions += options.window - 1;
    if (options.progress) options.progress(w + 1, windows);
  }
  result.windows = windows;
  result.bits_per_weight = bits_per_weight(stats, sliced_weight_count(model.weights()));
  result.perplexity = std::exp(result.total_nll / static_cast<double>(result.predictions));
  result.kl_divergence = divergence.mean_kl();
  result.same_top_token = divergence.same_top_fraction();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace mobiq
