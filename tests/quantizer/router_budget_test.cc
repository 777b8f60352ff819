// Routers and budget tables: the prefix rule, a router learning a known utility, and thresholds
// that meet every budget on the samples they were set on.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "runtime/math/router.h"
#include "tools/quantizer/calibration/budget_table.h"
#include "tools/quantizer/calibration/router_trainer.h"

namespace mobiq {
namespace {

TEST(Router, SlicesAreOnePlusTheLongestPrefixAtOrAboveTheThreshold) {
  const float all_high[3] = {5, 4, 3}, gap[3] = {5, -1, 3}, none[3] = {-1, 5, 5}, two[3] = {2, 2, 1.9f};
  EXPECT_EQ(math::slices_from_scores(all_high, 0.0f), 4);
  EXPECT_EQ(math::slices_from_scores(gap, 0.0f), 2);  // slice 3 never without slice 2
  EXPECT_EQ(math::slices_from_scores(none, 0.0f), 1);
  EXPECT_EQ(math::slices_from_scores(two, 2.0f), 3);
}

// Utilities that grow with a token's energy and with one direction of its activation.
void synthetic_samples(int64_t n, int32_t dim, std::vector<float>& x, std::vector<float>& y, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> loudness(-2.0f, 2.0f);
  x.resize(n * dim);
  y.resize(n * 3);
  for (int64_t t = 0; t < n; ++t) {
    const float scale = std::exp(loudness(rng));
    double sq = 0.0;
    for (int32_t i = 0; i < dim; ++i) {
      x[t * dim + i] = scale * normal(rng);
      sq += x[t * dim + i] * x[t * dim + i];
    }
    const double energy = std::log(sq / dim);
    const double direction = x[t * dim] / std::sqrt(sq / dim);
    for (int e = 0; e < 3; ++e) y[t * 3 + e] = static_cast<float>(energy - 2.77 * e + 0.5 * std::max(0.0, direction));
  }
}

TEST(RouterTrainer, LearnsAUtilityDrivenByEnergyAndDirection) {
  std::vector<float> x, y;
  synthetic_samples(3000, 32, x, y, 5);
  RouterTrainingOptions options;
  options.hidden = 4;
  options.epochs = 30;
  const RouterFit fit = train_router(x.data(), y.data(), 3000, 32, options);
  EXPECT_GT(fit.r2, 0.95);
  // The runtime's router op on the f16-rounded weights agrees with the targets too.
  const std::vector<float> scores = router_scores_of(fit.router, x.data(), 3000);
  double mean_abs = 0.0;
  for (size_t i = 0; i < scores.size(); ++i) mean_abs += std::fabs(scores[i] - y[i]);
  EXPECT_LT(mean_abs / scores.size(), 0.3);
}

BudgetTableInput synthetic_planner(uint32_t seed) {
  BudgetTableInput in;
  in.n_layers = 3;
  const int groups = 12;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (int g = 0; g < groups; ++g) {
    in.group_weights.push_back(1000.0 * (1 + g % 4));
    for (int e = 0; e < 3; ++e) in.mean_utility.push_back(std::exp(-2.7 * e) * (0.5 + u(rng)));
  }
  in.samples = 2000;
  for (int64_t t = 0; t < in.samples; ++t)
    for (int g = 0; g < groups; ++g) {
      const float token = 2.0f * u(rng);
      for (int e = 0; e < 3; ++e) in.scores.push_back(token - 2.7f * e + 0.3f * u(rng));
    }
  in.router_bits = 0.05;
  return in;
}

TEST(SlicePlanner, EveryEntryMeetsItsBudgetOnTheSamples) {
  const BudgetTableInput in = synthetic_planner(3);
  const std::vector<MbqBudgetEntry> table = make_budget_table(in);
  ASSERT_EQ(table.size(), 25u);  // 2.0, 2.25, ..., 8.0
  // The fixed allocation is the point of the greedy path closest to the budget; one step of that path
  // adds a slice to one group, 2 bits over that group's share of the weights. So the closest point is
  // within half the largest such step (0.13 bits here), not two table steps (0.5) as this test allowed.
  double total = 0.0, largest = 0.0;
  for (double w : in.group_weights) total += w, largest = std::max(largest, w);
  const double half_step = 0.5 * 2.0 * largest / total;
  ASSERT_LT(half_step, 0.25);
  for (size_t i = 0; i < table.size(); ++i) {
    const MbqBudgetEntry& e = table[i];
    EXPECT_FLOAT_EQ(e.budget_bits, 2.0f + 0.25f * i);
    ASSERT_EQ(e.fixed_slices.size(), 12u);
    EXPECT_NEAR(fixed_bits(in, e.fixed_slices), e.budget_bits, half_step + 1e-9) << e.budget_bits;
    if (e.thresholds.empty()) continue;
    ASSERT_EQ(e.thresholds.size(), 12u);
    EXPECT_NEAR(routed_bits(in, e.thresholds[0]), e.budget_bits, 0.02) << e.budget_bits;
    EXPECT_NEAR(e.calibration_bits, e.budget_bits, 0.02);
  }
  // The ends have nothing to route: one slice everywhere, every slice everywhere.
  EXPECT_TRUE(table.front().thresholds.empty());
  EXPECT_TRUE(table.back().thresholds.empty());
  for (uint8_t k : table.front().fixed_slices) EXPECT_EQ(k, 1);
  for (uint8_t k : table.back().fixed_slices) EXPECT_EQ(k, 4);
  // Budgets between: routed (router cost 0.05 bits is below 0.25).
  for (size_t i = 1; i + 1 < table.size(); ++i) EXPECT_FALSE(table[i].thresholds.empty()) << i;
}

// Bits on the samples as the runtime would read them: each router against its own threshold.
double bits_with_thresholds(const BudgetTableInput& in, const std::vector<float>& thresholds) {
  const size_t groups = in.group_weights.size();
  double bits = 0.0, weights = 0.0;
  for (size_t g = 0; g < groups; ++g) weights += in.group_weights[g];
  for (int64_t t = 0; t < in.samples; ++t)
    for (size_t g = 0; g < groups; ++g)
      bits += 2.0 * math::slices_from_scores(in.scores.data() + (t * groups + g) * 3, thresholds[g]) * in.group_weights[g];
  return bits / (weights * static_cast<double>(in.samples)) + in.router_bits;
}

TEST(SlicePlanner, GroupOffsetsBecomePerRouterThresholdsThatMeetTheBudget) {
  BudgetTableInput in = synthetic_planner(5);
  for (size_t g = 0; g < in.group_weights.size(); ++g) in.score_offsets.push_back(0.5 * static_cast<double>(g % 3));
  for (const MbqBudgetEntry& e : make_budget_table(in)) {
    if (e.thresholds.empty()) continue;
    // One level across the model: threshold + offset is the same for every router.
    for (size_t g = 1; g < e.thresholds.size(); ++g)
      EXPECT_NEAR(e.thresholds[g] + in.score_offsets[g], e.thresholds[0] + in.score_offsets[0], 1e-5);
    EXPECT_NEAR(bits_with_thresholds(in, e.thresholds), e.budget_bits, 0.02) << e.budget_bits;
  }
  // A group whose utilities count more (higher offset) reads more slices at the same scores.
  const std::vector<MbqBudgetEntry> plans = make_budget_table(in);
  const MbqBudgetEntry& mid = plans[8];  // 4.0 bits
  EXPECT_LT(mid.thresholds[2], mid.thresholds[0]);
}

TEST(SlicePlanner, RoutedBitsFallAsTheThresholdRises) {
  const BudgetTableInput in = synthetic_planner(4);
  // The synthetic scores lie in [-5.4, 2.3]: below every score every slice is read (8 bits), above
  // them only the base (2 bits); the routers' own cost comes on top. Both ends are asserted, so a
  // routed_bits that returned a constant cannot pass as "non-increasing".
  EXPECT_DOUBLE_EQ(routed_bits(in, -8.0), 8.0 + in.router_bits);
  EXPECT_DOUBLE_EQ(routed_bits(in, 4.0), 2.0 + in.router_bits);
  double previous = routed_bits(in, -8.0);
  int falls = 0;
  for (float threshold = -7.5f; threshold <= 4.0f; threshold += 0.5f) {
    const double bits = routed_bits(in, threshold);
    ASSERT_LE(bits, previous + 1e-12) << "bits rose at threshold " << threshold;
    ASSERT_GE(bits, 2.0 + in.router_bits - 1e-12) << threshold;
    falls += bits < previous - 1e-12;
    previous = bits;
  }
  // Scores are spread over three bands ~2.3 wide: most half-unit steps inside them drop bits.
  EXPECT_GE(falls, 10);
}

}  // namespace
}  // namespace mobiq
