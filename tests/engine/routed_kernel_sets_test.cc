// The fastest CPU kernel set (int8 activations) against the f32 reference ("cpu:reference") on
// routed plans: the calibrated fixture-a the spend-control tests use (tests/support/spend_fixture.h,
// made once per ctest run), the first kWindows windows of 512 tokens of eval_sotu.txt (the protocol
// of shared/README.md), the file's calibrated thresholds for 2.5, 3.0 and 4.0 bits (open loop, so
// each backend's routers decide on its own hidden states):
//   perplexity within 0.2% of the reference's and measured bits within kBitsTolerance;
//   replaying the reference's recorded slice counts as explicit plans, the perplexity is within 0.2%
//   too, so a difference in the kernels cannot hide behind different routing decisions.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "backends/registry.h"
#include "runtime/engine/perplexity.h"
#include "runtime/engine/slice_planner.h"
#include "runtime/model/model.h"
#include "tests/support/calibrated_eval_test.h"
#include "tests/support/cpu_executor.h"

namespace mobiq::test {
namespace {

constexpr int32_t kWindow = 512;
constexpr int64_t kWindows = 6;  // 3,066 scored predictions per plan (on 2 windows, 2.5 bits differs by 0.25%)
constexpr double kPerplexityTolerance = 2e-3;  // relative
// int8 activations move router scores a little, so some decisions near a threshold flip. One flip
// moves the measured bits by 1.0e-4 to 1.6e-4 over one 512-token window of fixture-a; 0.01 bits
// allows a few percent of the decisions to differ.
constexpr double kBitsTolerance = 0.01;

class RoutedKernelSets : public CalibratedEvalTest {
 protected:
  RoutedKernelSets() : CalibratedEvalTest(kWindows * kWindow) {}

  Result<PerplexityResult> perplexity(Executor& executor, const SlicePlan& plan) {
    PerplexityOptions options;
    options.window = kWindow;
    options.plan = plan;
    return evaluate_perplexity(executor, *model_, tokens_, options);
  }

  // Per window: the slice counts `reference` chooses under `routed` ([window][token][layer][group]).
  std::vector<std::vector<uint8_t>> reference_counts(Executor& reference, const SlicePlan& routed) {
    const size_t per_window = static_cast<size_t>(kWindow) * model_->config().n_layers * kLinearGroups;
    std::vector<std::vector<uint8_t>> counts(kWindows, std::vector<uint8_t>(per_window));
    ForwardOutput nothing;
    nothing.kind = ForwardOutput::Kind::kNone;
    for (int64_t w = 0; w < kWindows; ++w) {
      EXPECT_TRUE(reference.truncate(0).ok());
      EXPECT_TRUE(reference.set_plan(routed).ok());
      const Status s = reference.forward(std::span(tokens_.data() + w * kWindow, kWindow), 0, nothing);
      EXPECT_TRUE(s.ok()) << s.to_string();
      EXPECT_TRUE(reference.read_slice_counts(counts[w]).ok());
    }
    return counts;
  }

  // Perplexity of `candidate` replaying per-window slice counts as explicit plans.
  double replayed_perplexity(Executor& candidate, const std::vector<std::vector<uint8_t>>& counts) {
    const int32_t vocab = model_->config().vocab_size;
    std::vector<float> logits(static_cast<size_t>(kWindow) * vocab);
    double nll = 0.0;
    for (int64_t w = 0; w < kWindows; ++w) {
      const std::span<const int32_t> window(tokens_.data() + w * kWindow, kWindow);
      SlicePlan replay;
      replay.mode = SlicePlan::Mode::kExplicit;
      replay.explicit_slices = counts[w];
      EXPECT_TRUE(candidate.truncate(0).ok());
      const Status s = forward_logits(candidate, window, 0, replay, true, logits.data());
      EXPECT_TRUE(s.ok()) << s.to_string();
      for (int32_t t = 0; t + 1 < kWindow; ++t) {
        const float* row = logits.data() + static_cast<size_t>(t) * vocab;
        double max = row[0], sum = 0.0;
        for (int32_t v = 1; v < vocab; ++v) max = std::max(max, static_cast<double>(row[v]));
        for (int32_t v = 0; v < vocab; ++v) sum += std::exp(row[v] - max);
        nll += max + std::log(sum) - row[window[t + 1]];
      }
    }
    return std::exp(nll / static_cast<double>(kWindows * (kWindow - 1)));
  }

};

TEST_F(RoutedKernelSets, PerplexityAndBitsAtRoutedBudgetsAreTheReferences) {
  const SlicePlanner planner(model_->weights(), model_->max_slices());
  auto reference = cpu_executor(*model_, kWindow, kWindow, /*record_slices=*/true, "cpu:reference");
  ASSERT_TRUE(reference);
  // "cpu": the fastest set this CPU runs, the one users get. Every set is checked against the
  // reference at uniform slice counts (fixture_a_test) and op by op (kernels_test, conformance).
  const std::vector<std::string> sets = {"cpu"};
  for (double bits : {2.5, 3.0, 4.0}) {
    auto choice = planner.choose(bits, Routing::kRouted);
    ASSERT_TRUE(choice.ok()) << choice.status().to_string();
    const SlicePlan plan = choice->plan();
    ASSERT_EQ(plan.mode, SlicePlan::Mode::kRouted) << "the fixture should be calibrated";
    auto expected = perplexity(*reference, plan);
    ASSERT_TRUE(expected.ok()) << expected.status().to_string();
    const auto counts = reference_counts(*reference, plan);
    for (const std::string& backend : sets) {
      const std::string what = backend + " at " + std::to_string(bits).substr(0, 3) + " bits";
      auto candidate = cpu_executor(*model_, kWindow, kWindow, false, backend);
      ASSERT_TRUE(candidate);
      auto got = perplexity(*candidate, plan);
      ASSERT_TRUE(got.ok()) << what << ": " << got.status().to_string();
      EXPECT_NEAR(got->perplexity, expected->perplexity, kPerplexityTolerance * expected->perplexity) << what;
      EXPECT_NEAR(got->bits_per_weight, expected->bits_per_weight, kBitsTolerance) << what;
      const double replayed = replayed_perplexity(*candidate, counts);
      EXPECT_NEAR(replayed, expected->perplexity, kPerplexityTolerance * expected->perplexity) << what << ", replayed";
      std::printf("%-26s perplexity %.4f, replaying the reference's counts %.4f (reference %.4f); bits %.4f (%.4f)\n",
                  what.c_str(), got->perplexity, replayed, expected->perplexity, got->bits_per_weight,
                  expected->bits_per_weight);
    }
  }
}

}  // namespace
}  // namespace mobiq::test
