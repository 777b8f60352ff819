// The perplexity protocol (shared/README.md): consecutive windows of `window` tokens, each on a
// fresh KV cache, scoring its window-1 next-token predictions; the last partial window is dropped.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "backends/backend.h"
#include "runtime/engine/spend_controller.h"
#include "runtime/tokenizer/tokenizer.h"

namespace mobiq {

struct PerplexityOptions {
  int32_t window = 512;
  SlicePlan plan;            // precision of every window (kExplicit plans are not accepted here)
  int32_t max_windows = 0;  // > 0: stop after this many windows (quick checks)
  // Also compare every prediction with the model reading all its slices (divergence.h); each window
  // then runs twice.
  bool divergence = false;
  // Closed-loop spend (spend_controller.h), reset by the caller to the plan's budget: each window is
  // one pass, so the threshold offset it sets moves between windows, from what the previous ones read.
  SpendController* spend = nullptr;
  // Called after each window with (windows done, windows total).
  std::function<void(int64_t, int64_t)> progress;
};

struct PerplexityResult {
  double bits_per_weight = 0.0;  // code bits per sliced weight actually read, routers included
  double perplexity = 0.0;
  double total_nll = 0.0;      // nats
  int64_t predictions = 0;     // windows * (window - 1)
  int64_t windows = 0;
  int64_t tokens = 0;          // the text's token count, BOS included
  double seconds = 0.0;
  // With options.divergence: mean KL(all slices || plan) per prediction, nats, and the fraction of
  // predictions whose most likely token is the same under both.
  double kl_divergence = 0.0;
  double same_top_token = 0.0;
};

// The protocol's token ids for a text file's contents: its documents (separated by a line "<|doc|>")
// stripped and joined with a blank line, tokenized without special tokens, one BOS in front.
Result<std::vector<int32_t>> protocol_tokens(const Tokenizer& tokenizer, int32_t bos_id, std::string_view file_text);

// `executor` (running `model`) must have been created with context_size and max_batch >= options.window.
Result<PerplexityResult> evaluate_perplexity(Executor& executor, const Model& model, const std::vector<int32_t>& tokens,
                                             const PerplexityOptions& options);

// -log softmax(logits)[target] for one row of logits [vocab], computed stably in double.
double negative_log_likelihood(const float* logits, int32_t vocab, int32_t target);

}  // namespace mobiq
