// How far a plan's next-token distributions are from a reference's (the same model reading every
// slice): the mean KL divergence and how often both put the same token first. Unlike a difference
// of two perplexities, KL is positive at every position and does not depend on how well the
// reference itself predicts the text, so it resolves small effects and orders budgets reliably.
#pragma once

#include <cstdint>

namespace mobiq {

// Rows of logits [n][vocab] -> log-probabilities, in place (log-sum-exp in double).
void log_softmax_rows(float* logits, int64_t n, int64_t vocab);

struct DivergenceTotals {
  double kl = 0.0;         // nats, summed over rows
  int64_t same_top = 0;    // rows whose most likely tokens agree
  int64_t rows = 0;

  double mean_kl() const { return rows > 0 ? kl / static_cast<double>(rows) : 0.0; }
  double same_top_fraction() const { return rows > 0 ? static_cast<double>(same_top) / static_cast<double>(rows) : 0.0; }
};

// Adds KL(reference || planned) and top-token agreement for n rows of log-probabilities [n][vocab].
void accumulate_divergence(const float* reference, const float* planned, int64_t n, int64_t vocab,
                           DivergenceTotals& totals);

}  // namespace mobiq
