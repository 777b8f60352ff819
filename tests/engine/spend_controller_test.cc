// The spend controller alone on a simulated plant: a table calibrated on one "text" and a plant that
// reads more (or less) than the table promises, with per-token noise, so convergence, bounded steps,
// the absence of oscillation, anti-windup and cap mode's window guarantee are checked without a model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "runtime/engine/spend_controller.h"

namespace mobiq {
namespace {

constexpr double kRouterBits = 0.03;

// The calibration text's curve: threshold level against bits, decreasing and bent like a real one.
double calibrated_level(double bits) { return 1.5 - 0.4 * bits + 0.02 * bits * bits; }
// Its inverse on 2..8 (the root of the quadratic on the decreasing side).
double calibrated_bits(double level) { return (0.4 - std::sqrt(0.16 - 0.08 * (1.5 - level))) / 0.04; }

std::vector<BudgetEntry> table() {
  std::vector<BudgetEntry> plans;
  for (double b = 2.0; b <= 8.0 + 1e-9; b += 0.25) {
    BudgetEntry p;
    p.bits = static_cast<float>(b);
    // Routing at the ends has nothing to decide: those entries carry fixed slices, as the calibrator's do.
    if (b > 2.1 && b < 7.9)
      for (float offset : {0.0f, 0.3f, -0.2f}) p.thresholds.push_back(static_cast<float>(calibrated_level(b)) - offset);
    plans.push_back(std::move(p));
  }
  return plans;
}

// Another text: at a threshold level it reads `gain` times the calibrated bits plus `bias`, each
// token with Gaussian noise, never more than its slice cap allows nor less than one slice.
struct Plant {
  double gain = 1.08, bias = 0.15, noise = 0.8;
  std::mt19937 rng{7};
  double token(double budget, const SpendPlan& plan) {
    const double level = calibrated_level(budget) + plan.threshold_offset;
    const double mean = gain * calibrated_bits(level) + bias;
    // Tokens vary less near one slice everywhere, as real ones do.
    const double spread = noise * std::clamp((mean - 2.0) / 2.0, 0.25, 1.0);
    const double bits = mean + std::normal_distribution<double>(0.0, spread)(rng);
    return std::clamp(bits, 2.0 + kRouterBits, 2.0 * plan.max_slices + kRouterBits);
  }
};

// Runs `tokens` tokens in passes of `batch`; returns every token's spend (a pass's tokens at its mean).
std::vector<double> run(SpendController& c, Plant& plant, int64_t tokens, int64_t batch) {
  std::vector<double> spends;
  for (int64_t done = 0; done < tokens; done += batch) {
    const SpendPlan plan = c.plan_for(batch, 4);
    double sum = 0.0;
    for (int64_t t = 0; t < batch; ++t) sum += plant.token(c.budget_bits(), plan);
    c.update(sum / batch, batch);
    spends.insert(spends.end(), batch, sum / batch);
  }
  return spends;
}

double mean(const std::vector<double>& v, size_t begin, size_t end) {
  double s = 0.0;
  for (size_t i = begin; i < end; ++i) s += v[i];
  return s / static_cast<double>(end - begin);
}

TEST(SpendController, AverageModeConvergesOnABiasedNoisyPlant) {
  for (double budget : {2.5, 3.0, 4.0, 6.0})
    for (int64_t batch : {1, 8}) {
      SpendController c{ThresholdScale(table())};
      c.reset(budget, kRouterBits);
      Plant plant;
      const std::vector<double> spends = run(c, plant, 2048, batch);
      EXPECT_NEAR(mean(spends, 0, spends.size()), budget, 0.05) << budget << " batch " << batch;
      EXPECT_NEAR(c.spend_bits(), mean(spends, 0, spends.size()), 1e-9);
      for (size_t w = 128; w + 128 <= spends.size(); w += 128)
        EXPECT_NEAR(mean(spends, w, w + 128), budget, 0.15) << budget << " window at " << w;
    }
}

TEST(SpendController, ApproachesWithoutOvershootOrOscillation) {
  // Noise-free: from a 0.3-bit open-loop excess the error must shrink every pass and never change sign.
  SpendController c{ThresholdScale(table())};
  c.reset(3.0, kRouterBits);
  Plant plant;
  plant.noise = 0.0;
  plant.bias = 0.3;
  double previous = 0.3 + 0.08 * 3.0;
  for (int t = 0; t < 300; ++t) {
    const SpendPlan plan = c.plan_for(1, 4);
    const double spend = plant.token(3.0, plan);
    c.update(spend, 1);
    const double error = spend - 3.0;
    EXPECT_GE(error, -1e-6) << "overshoot at token " << t;
    EXPECT_LE(error, previous + 1e-9) << "error grew at token " << t;
    previous = error;
  }
  EXPECT_LT(previous, 0.01);
  // With noise, once settled, the correction wanders only a little around its level.
  plant.noise = 0.8;
  std::vector<double> corrections;
  for (int t = 0; t < 2000; ++t) {
    c.update(plant.token(3.0, c.plan_for(1, 4)), 1);
    corrections.push_back(c.correction_bits());
  }
  const double m = mean(corrections, 0, corrections.size());
  double var = 0.0;
  for (double x : corrections) var += (x - m) * (x - m);
  EXPECT_LT(std::sqrt(var / corrections.size()), 0.15);
}

TEST(SpendController, APrefillBatchCountsAsItsTokensWithBoundedSteps) {
  SpendController c{ThresholdScale(table())};
  c.reset(3.0, kRouterBits);
  // 512 tokens at 0.2 bits over: the correction moves by the error (deadbeat), not 512 times it.
  c.update(3.2, 512);
  EXPECT_NEAR(c.correction_bits(), -0.2, 1e-6);
  // A larger error moves it by max_step_bits at most.
  c.update(4.5, 512);
  EXPECT_NEAR(c.correction_bits(), -0.45, 1e-6);
  // One token moves it by the gain times its error.
  c.reset(3.0, kRouterBits);
  c.update(4.0, 1);
  EXPECT_NEAR(c.correction_bits(), -0.05, 1e-9);
  EXPECT_EQ(c.tokens(), 1);
}

TEST(SpendController, DoesNotWindUpWhenTheTextCannotReachTheBudget) {
  SpendController c{ThresholdScale(table())};
  c.reset(6.0, kRouterBits);
  for (int t = 0; t < 5000; ++t) c.update(4.0, 1);  // a text that reads 4 bits whatever the thresholds
  EXPECT_LE(c.correction_bits(), 2.0 + 1e-9);
  // The text changes back to one the thresholds can hold: the spend returns within a few time constants.
  Plant plant;
  plant.noise = 0.0;
  const std::vector<double> spends = run(c, plant, 200, 1);
  EXPECT_NEAR(spends.back(), 6.0, 0.05);
}

TEST(SpendController, ThresholdOffsetFollowsTheTableSlope) {
  const ThresholdScale scale(table());
  // Between entries the offset is the table's level difference (linear within a 0.25-bit segment).
  EXPECT_NEAR(scale.offset(3.0, 0.25), calibrated_level(3.25) - calibrated_level(3.0), 1e-5);
  EXPECT_NEAR(scale.offset(3.0, -0.5), calibrated_level(2.5) - calibrated_level(3.0), 1e-5);
  EXPECT_EQ(scale.offset(3.0, 0.0), 0.0f);
  // Past the last routed entry (7.75) the end segment's slope extends the line.
  const double slope = (calibrated_level(7.75) - calibrated_level(7.5)) / 0.25;
  EXPECT_NEAR(scale.offset(7.75, 0.2), slope * 0.2, 1e-5);
  EXPECT_TRUE(ThresholdScale({}).empty());
  EXPECT_EQ(ThresholdScale({}).offset(3.0, 1.0), 0.0f);
}

TEST(SpendController, CapModeKeepsEveryWindowUnderTheBudget) {
  for (double budget : {2.5, 3.0, 4.0})
    for (int64_t batch : {1, 8}) {
      SpendController c{ThresholdScale(table()), SpendControlOptions{}};
      c.set_mode(BudgetMode::kCap);
      c.reset(budget, kRouterBits);
      Plant plant;
      plant.bias = 0.4;  // a text that reads well over the table
      const std::vector<double> spends = run(c, plant, 2048, batch);
      double worst = 0.0;
      for (size_t end = 128; end <= spends.size(); ++end) worst = std::max(worst, mean(spends, end - 128, end));
      EXPECT_LE(worst, budget + 1e-9) << budget << " batch " << batch;
      EXPECT_GT(mean(spends, 0, spends.size()), budget - 0.3) << "cap mode should still spend near its budget";
    }
}

TEST(SpendController, OpenModeKeepsTheCalibratedThresholds) {
  SpendController c{ThresholdScale(table())};
  c.set_mode(BudgetMode::kOpen);
  c.reset(3.0, kRouterBits);
  Plant plant;
  const std::vector<double> spends = run(c, plant, 512, 8);
  EXPECT_EQ(c.plan_for(1, 4).threshold_offset, 0.0f);
  EXPECT_EQ(c.plan_for(1, 4).max_slices, 4);
  EXPECT_GT(c.spend_bits(), 3.2);  // the plant's excess stays
}

TEST(SpendController, ParsesModes) {
  EXPECT_EQ(*parse_budget_mode("average"), BudgetMode::kAverage);
  EXPECT_EQ(*parse_budget_mode("cap"), BudgetMode::kCap);
  EXPECT_EQ(*parse_budget_mode("open"), BudgetMode::kOpen);
  EXPECT_EQ(parse_budget_mode("closed").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_STREQ(budget_mode_name(BudgetMode::kCap), "cap");
}

}  // namespace
}  // namespace mobiq
