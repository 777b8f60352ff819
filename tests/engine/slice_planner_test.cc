#include "runtime/engine/slice_planner.h"

#include <gtest/gtest.h>

#include <cmath>

#include "runtime/engine/precision.h"

namespace mobiq {
namespace {

// Two layers: four groups each. Entries at 2.0 (fixed), 3.0 and 4.0 (routed), 8.0 (fixed).
ModelWeights weights_with_table() {
  ModelWeights w;
  auto entry = [](float bits, std::vector<float> thresholds, uint8_t k) {
    BudgetEntry p;
    p.bits = bits;
    p.thresholds = std::move(thresholds);
    p.fixed_slices.assign(2 * kLinearGroups, k);
    return p;
  };
  w.budget_table = {entry(2.0f, {}, 1), entry(3.0f, std::vector<float>(8, 1.0f), 2),
                    entry(4.0f, std::vector<float>(8, -1.0f), 2), entry(8.0f, {}, 4)};
  return w;
}

TEST(SlicePlanner, ExactEntriesInterpolationAndEnds) {
  const ModelWeights w = weights_with_table();
  const SlicePlanner planner(w, 4);
  auto exact = planner.choose(3.0, Routing::kRouted);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->plan().mode, SlicePlan::Mode::kRouted);
  EXPECT_FLOAT_EQ(exact->plan().thresholds[5], 1.0f);

  auto between = planner.choose(3.25, Routing::kRouted);
  ASSERT_TRUE(between.ok());
  EXPECT_FLOAT_EQ(between->plan().thresholds[0], 0.5f);  // a quarter of the way from 1 to -1

  auto bottom = planner.choose(2.0, Routing::kRouted);  // routing cannot pay for itself here
  ASSERT_TRUE(bottom.ok());
  EXPECT_EQ(bottom->plan().mode, SlicePlan::Mode::kPerGroup);
  EXPECT_EQ(bottom->plan().group_slices[3], 1);

  auto near_top = planner.choose(7.0, Routing::kRouted);  // nearest entry is 8.0, fixed
  ASSERT_TRUE(near_top.ok());
  EXPECT_EQ(near_top->plan().group_slices[0], 4);

  auto fixed = planner.choose(3.0, Routing::kFixed);
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(fixed->plan().mode, SlicePlan::Mode::kPerGroup);
  EXPECT_EQ(fixed->plan().group_slices[7], 2);

  auto random = planner.choose(5.0, Routing::kRandom, 9);
  ASSERT_TRUE(random.ok());
  EXPECT_EQ(random->plan().mode, SlicePlan::Mode::kRandom);
  EXPECT_DOUBLE_EQ(random->plan().random_mean, 2.5);
}

TEST(SlicePlanner, UncalibratedFilesRoundToWholeSlicesAndRefuseFixed) {
  const ModelWeights w;  // no table
  const SlicePlanner planner(w, 4);
  auto plan = planner.choose(5.2, Routing::kRouted);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->plan().mode, SlicePlan::Mode::kUniform);
  EXPECT_EQ(plan->plan().slices, 3);
  EXPECT_EQ(planner.choose(4.0, Routing::kFixed).status().code(), ErrorCode::kUnsupported);
}

// The planner answers a bad budget with check_budget_bits' codes, which Session (and through it the
// C API) uses too: kOutOfRange outside the model's range, kInvalidArgument for NaN. The planner
// used to say kInvalidArgument for both, so one value got two codes depending on the entry point.
TEST(SlicePlanner, RejectsBudgetsOutsideTheModel) {
  const ModelWeights w = weights_with_table();
  EXPECT_EQ(SlicePlanner(w, 4).choose(1.5, Routing::kRouted).status().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(SlicePlanner(w, 2).choose(6.0, Routing::kRouted).status().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(SlicePlanner(w, 4).choose(std::nan(""), Routing::kRouted).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(SlicePlanner(w, 0).choose(4.0, Routing::kRouted).status().code(), ErrorCode::kUnsupported);
  for (double bits : {1.5, 8.5, -1.0, HUGE_VAL, -HUGE_VAL, std::nan(""), 4.0})
    for (int32_t max_slices : {0, 2, 4})
      EXPECT_EQ(SlicePlanner(w, max_slices).choose(bits, Routing::kRouted).status().code(),
                check_budget_bits(bits, max_slices).code())
          << bits << " bits, " << max_slices << " slices";
}

}  // namespace
}  // namespace mobiq
