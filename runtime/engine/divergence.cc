#include "runtime/engine/divergence.h"

#include <algorithm>
#include <cmath>

namespace mobiq {

void log_softmax_rows(float* logits, int64_t n, int64_t vocab) {
  for (int64_t t = 0; t < n; ++t) {
    float* row = logits + t * vocab;
    const float max = *std::max_element(row, row + vocab);
    double total = 0.0;
    for (int64_t i = 0; i < vocab; ++i) total += std::exp(static_cast<double>(row[i] - max));
    // Subtract the maximum first: adding it to log(total) in float would lose the small part.
    const double log_total = std::log(total);
    for (int64_t i = 0; i < vocab; ++i) row[i] = static_cast<float>(static_cast<double>(row[i] - max) - log_total);
  }
}

void accumulate_divergence(const float* reference, const float* planned, int64_t n, int64_t vocab,
                           DivergenceTotals& totals) {
  for (int64_t t = 0; t < n; ++t) {
    const float* p = reference + t * vocab;
    const float* q = planned + t * vocab;
    double kl = 0.0;
    for (int64_t i = 0; i < vocab; ++i) kl += std::exp(static_cast<double>(p[i])) * (p[i] - q[i]);
    totals.kl += kl;
    totals.same_top += std::max_element(p, p + vocab) - p == std::max_element(q, q + vocab) - q;
    ++totals.rows;
  }
}

}  // namespace mobiq
