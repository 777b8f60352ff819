#include "runtime/engine/divergence.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace mobiq {
namespace {

TEST(Divergence, LogSoftmaxRowsAreNormalisedAndKeepOrder) {
  std::vector<float> rows = {1.0f, 2.0f, 3.0f, 1000.0f, 1000.0f, -1000.0f};  // the second would overflow exp
  log_softmax_rows(rows.data(), 2, 3);
  for (int r = 0; r < 2; ++r) {
    double total = 0.0;
    for (int i = 0; i < 3; ++i) total += std::exp(static_cast<double>(rows[r * 3 + i]));
    EXPECT_NEAR(total, 1.0, 1e-6) << "row " << r;
  }
  EXPECT_LT(rows[0], rows[1]);
  EXPECT_LT(rows[1], rows[2]);
  EXPECT_NEAR(rows[3], std::log(0.5), 1e-6);
}

TEST(Divergence, KlOfTwoDistributionsFollowsItsDefinition) {
  const double p[2] = {0.5, 0.5}, q[2] = {0.9, 0.1};
  std::vector<float> reference = {static_cast<float>(std::log(p[0])), static_cast<float>(std::log(p[1]))};
  std::vector<float> planned = {static_cast<float>(std::log(q[0])), static_cast<float>(std::log(q[1]))};
  DivergenceTotals totals;
  accumulate_divergence(reference.data(), planned.data(), 1, 2, totals);
  const double expected = p[0] * std::log(p[0] / q[0]) + p[1] * std::log(p[1] / q[1]);
  EXPECT_NEAR(totals.mean_kl(), expected, 1e-6);
  EXPECT_GT(totals.mean_kl(), 0.0);
  EXPECT_EQ(totals.rows, 1);
}

TEST(Divergence, IdenticalRowsHaveNoDivergenceAndTopTokensAreCompared) {
  // Row 0 agrees everywhere; row 1 moves the most likely token from index 2 to index 0.
  std::vector<float> reference = {0.1f, 0.5f, 2.0f, 0.1f, 0.5f, 2.0f};
  std::vector<float> planned = {0.1f, 0.5f, 2.0f, 2.5f, 0.5f, 2.0f};
  log_softmax_rows(reference.data(), 2, 3);
  log_softmax_rows(planned.data(), 2, 3);
  DivergenceTotals same, moved;
  accumulate_divergence(reference.data(), planned.data(), 1, 3, same);
  accumulate_divergence(reference.data() + 3, planned.data() + 3, 1, 3, moved);
  EXPECT_NEAR(same.mean_kl(), 0.0, 1e-7);
  EXPECT_EQ(same.same_top_fraction(), 1.0);
  EXPECT_GT(moved.mean_kl(), 0.1);
  EXPECT_EQ(moved.same_top_fraction(), 0.0);

  DivergenceTotals both;
  accumulate_divergence(reference.data(), planned.data(), 2, 3, both);
  EXPECT_NEAR(both.mean_kl(), 0.5 * (same.kl + moved.kl), 1e-9);
  EXPECT_EQ(both.same_top_fraction(), 0.5);
}

TEST(Divergence, EmptyTotalsReadAsZero) {
  const DivergenceTotals none;
  EXPECT_EQ(none.mean_kl(), 0.0);
  EXPECT_EQ(none.same_top_fraction(), 0.0);
}

}  // namespace
}  // namespace mobiq
