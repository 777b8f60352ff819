// BudgetController on hand-made device states: reasons, the most restrictive rule, charging, dwell,
// unknown readings, cap and floor, the speed target, and the budget's invariants under random input.
#include "runtime/elastic/budget_controller.h"
#include "tests/support/value_or_fail.h"

#include <gtest/gtest.h>

#include <random>

namespace mobiq {
namespace {

constexpr uint64_t kGiB = 1024ull * 1024 * 1024;

DeviceState battery(double percent, bool charging = false) {
  DeviceState s;
  s.battery_percent = percent;
  s.charging = charging;
  return s;
}

DeviceState temperature(double celsius, const char* zone = "tj-therm") {
  DeviceState s;
  s.temperature_c = celsius;
  s.hottest_zone = zone;
  return s;
}

DeviceState memory(double available_fraction, uint64_t total = 16 * kGiB) {
  DeviceState s;
  s.mem_total_bytes = total;
  s.mem_available_bytes = static_cast<uint64_t>(available_fraction * static_cast<double>(total));
  return s;
}

BudgetController controller(const std::string& json) {
  return test::value_or_fail(BudgetController::from_json(json), "policy");
}

TEST(BudgetController, NoReadingsKeepsTheCap) {
  BudgetController c = BudgetController::with_default_policy();
  EXPECT_EQ(c.budget(), (Budget{8.0, 4}));
  const auto d = c.update(DeviceState{}, 0, 0.0);
  EXPECT_FALSE(d.changed);
  EXPECT_EQ(d.budget, (Budget{8.0, 4}));
  EXPECT_EQ(d.reason, "no device limit -> 8.0 bits");
}

TEST(BudgetController, ReasonsNameTheBindingReading) {
  {
    BudgetController c = BudgetController::with_default_policy();
    const auto d = c.update(battery(18), 0, 0.0);
    EXPECT_TRUE(d.changed);
    EXPECT_EQ(d.budget, (Budget{4.0, 4}));
    EXPECT_EQ(d.reason, "battery 18% -> 4.0 bits");
  }
  {
    BudgetController c = BudgetController::with_default_policy();
    EXPECT_EQ(c.update(battery(12), 0, 0.0).reason, "battery 12% -> 2.5 bits");
  }
  {
    BudgetController c = BudgetController::with_default_policy();
    EXPECT_EQ(c.update(temperature(92.5), 0, 0.0).reason, "tj-therm 92.5 C -> 2.0 bits");
  }
  {
    BudgetController c = BudgetController::with_default_policy();
    const auto d = c.update(memory(0.08), 0, 0.0);
    EXPECT_EQ(d.budget, (Budget{4.0, 2}));
    EXPECT_EQ(d.reason, "memory 8% available -> 4.0 bits, 2 planes");
  }
  {
    BudgetController c = BudgetController::with_default_policy();
    DeviceState s = memory(0.12);
    s.battery_percent = 28;
    const auto d = c.update(s, 0, 0.0);
    EXPECT_EQ(d.budget, (Budget{4.0, 3}));
    EXPECT_EQ(d.reason, "battery 28% -> 4.0 bits; memory 12% available -> 3 planes");
  }
  {
    BudgetController c = BudgetController::with_default_policy();
    DeviceState s = memory(0.5, 4 * kGiB);
    s.cgroup_limit_bytes = 1 * kGiB;
    s.cgroup_usage_bytes = kGiB - 200 * 1024 * 1024;  // 200 MiB left under the limit: 20% of it
    const auto d = c.update(s, 0, 0.0);
    EXPECT_EQ(d.budget, (Budget{2.0, 1}));
    EXPECT_EQ(d.reason, "memory 200 MiB available -> 2.0 bits, 1 plane");
  }
}

TEST(BudgetController, ChargingOverridesBatteryRules) {
  BudgetController c = controller(R"({"min_dwell_tokens": 0, "rules": [
      {"when": "battery_percent", "below": 20, "bits": 3, "unless_charging": true},
      {"when": "battery_percent", "below": 5, "bits": 2}]})");
  EXPECT_EQ(c.update(battery(10, true), 0, 0).budget.bits, 8.0);
  EXPECT_EQ(c.update(battery(10, false), 1, 0).budget.bits, 3.0);
  EXPECT_EQ(c.update(battery(10, true), 2, 0).budget.bits, 8.0);
  EXPECT_EQ(c.update(battery(4, true), 3, 0).budget.bits, 2.0);  // a rule without the override still holds
}

TEST(BudgetController, DwellSpacesChanges) {
  BudgetController c = controller(R"({"min_dwell_tokens": 10, "rules": [
      {"when": "battery_percent", "below": 50, "bits": 6},
      {"when": "battery_percent", "below": 30, "bits": 4}]})");
  EXPECT_TRUE(c.update(battery(40), 100, 0).changed);  // the first change needs no wait
  EXPECT_EQ(c.budget().bits, 6.0);
  for (int64_t t = 101; t < 110; ++t) {
    const auto d = c.update(battery(20), t, 0);
    EXPECT_FALSE(d.changed) << t;
    EXPECT_EQ(d.budget.bits, 6.0) << t;
    EXPECT_EQ(d.reason, "battery 40% -> 6.0 bits");
  }
  const auto d = c.update(battery(20), 110, 0);
  EXPECT_TRUE(d.changed);
  EXPECT_EQ(d.budget.bits, 4.0);
  EXPECT_EQ(d.reason, "battery 20% -> 4.0 bits");
  // A session reset restarts the token count: the dwell does not hold the budget for 110 tokens.
  EXPECT_TRUE(c.update(battery(90), 0, 0).changed);
  EXPECT_EQ(c.budget().bits, 8.0);
}

TEST(BudgetController, HysteresisReleasesOnlyPastTheMargin) {
  BudgetController c = controller(R"({"min_dwell_tokens": 0, "rules": [
      {"when": "temperature_c", "above": 80, "bits": 4, "release_margin": 5}]})");
  EXPECT_EQ(c.update(temperature(80.0), 0, 0).budget.bits, 8.0);  // at the threshold: not above it
  EXPECT_EQ(c.update(temperature(80.5), 1, 0).budget.bits, 4.0);
  EXPECT_EQ(c.update(temperature(76.0), 2, 0).budget.bits, 4.0);
  EXPECT_EQ(c.update(temperature(75.0), 3, 0).budget.bits, 8.0);
}

TEST(BudgetController, UnknownReadingsKeepRulesAsTheyWere) {
  BudgetController c = controller(R"({"min_dwell_tokens": 0, "rules": [
      {"when": "battery_percent", "below": 20, "bits": 3},
      {"when": "available_memory_fraction", "below": 0.1, "resident_planes": 1}]})");
  EXPECT_EQ(c.update(battery(10), 0, 0).budget.bits, 3.0);
  for (int64_t t = 1; t < 50; ++t) EXPECT_FALSE(c.update(DeviceState{}, t, 0).changed);
  EXPECT_EQ(c.budget().bits, 3.0);
  DeviceState total_only;
  total_only.mem_total_bytes = 8 * kGiB;  // no MemAvailable: the memory rule stays as it was
  EXPECT_FALSE(c.update(total_only, 50, 0).changed);
  EXPECT_EQ(c.update(battery(60), 51, 0).budget.bits, 8.0);
}

TEST(BudgetController, CapAndFloorBoundEveryRule) {
  BudgetController c = controller(R"({"min_dwell_tokens": 0,
      "cap": {"bits": 6, "resident_planes": 3}, "floor": {"bits": 3, "resident_planes": 2},
      "rules": [{"when": "temperature_c", "above": 90, "bits": 2, "resident_planes": 1}]})");
  EXPECT_EQ(c.budget(), (Budget{6.0, 3}));
  EXPECT_EQ(c.reason(), "user cap -> 6.0 bits, 3 planes");
  const auto hot = c.update(temperature(95), 0, 0);
  EXPECT_EQ(hot.budget, (Budget{3.0, 2}));
  EXPECT_EQ(hot.reason, "user floor -> 3.0 bits, 2 planes");
  EXPECT_EQ(c.update(temperature(50), 1, 0).budget, (Budget{6.0, 3}));
}

TEST(BudgetController, FloorBitsKeepTheirPlanesResident) {
  BudgetController c = controller(R"({"min_dwell_tokens": 0, "floor": {"bits": 5},
      "rules": [{"when": "available_memory_fraction", "below": 0.1, "resident_planes": 1}]})");
  const auto d = c.update(memory(0.05), 0, 0);
  EXPECT_EQ(d.budget, (Budget{6.0, 3}));  // 5 bits need 3 planes, and 3 planes hold 6 bits
}

TEST(BudgetController, SpeedTargetStepsBitsOnePerDwell) {
  BudgetController c = controller(R"({"min_dwell_tokens": 8, "floor": {"bits": 7},
      "speed_target": {"tokens_per_second": 20, "step_bits": 0.25, "raise_above": 1.2}})");
  double bits = 8.0;
  int64_t t = 0;
  for (int step = 0; step < 4; ++step) {  // slow: down one step per dwell, to the floor and no further
    for (int i = 0; i < 8; ++i, ++t) {
      const auto d = c.update(DeviceState{}, t, 15.0);
      EXPECT_EQ(d.changed, i == 0 && step < 4) << "token " << t;
    }
    bits -= 0.25;
    EXPECT_EQ(c.budget().bits, bits);
  }
  EXPECT_EQ(c.reason(), "speed 15.0 tok/s, target 20.0 -> 7.0 bits");
  for (int i = 0; i < 20; ++i, ++t) EXPECT_FALSE(c.update(DeviceState{}, t, 15.0).changed);
  EXPECT_EQ(c.budget().bits, 7.0);  // the floor
  for (int i = 0; i < 20; ++i, ++t) EXPECT_FALSE(c.update(DeviceState{}, t, 22.0).changed);  // in the band
  EXPECT_TRUE(c.update(DeviceState{}, t++, 30.0).changed);  // well above: one step back up
  EXPECT_EQ(c.budget().bits, 7.25);
  for (int i = 0; i < 100; ++i, ++t) c.update(DeviceState{}, t, 30.0);
  EXPECT_EQ(c.budget().bits, 8.0);
  EXPECT_EQ(c.reason(), "no device limit -> 8.0 bits");
  for (int i = 0; i < 20; ++i, ++t) EXPECT_FALSE(c.update(DeviceState{}, t, 0.0).changed);  // unknown speed
}

TEST(BudgetController, SpeedTargetReasonsInMeasuredBits) {
  BudgetController c = controller(R"({"min_dwell_tokens": 0, "cap": {"bits": 6},
      "speed_target": {"tokens_per_second": 20, "step_bits": 0.25, "raise_above": 1.2}})");
  c.update(DeviceState{}, 0, 25.0, 0.0);
  ASSERT_EQ(c.budget().bits, 6.0);
  // Slow while reading 5.0 bits of its 6.0: the next request is a step below what was read.
  const auto d = c.update(DeviceState{}, 1, 15.0, 5.0);
  EXPECT_TRUE(d.changed);
  EXPECT_EQ(d.budget.bits, 4.75);
  EXPECT_EQ(d.reason, "speed 15.0 tok/s at 5.00 bits measured, target 20.0 -> 4.75 bits");
  // Reading what it asked for (or more), the step is from the request as before.
  EXPECT_EQ(c.update(DeviceState{}, 2, 15.0, 4.8).budget.bits, 4.5);
}

TEST(BudgetController, RandomStatesKeepTheInvariants) {
  BudgetPolicy policy = default_budget_policy();
  policy.min_dwell_tokens = 5;
  policy.speed_target = SpeedTarget{10.0, 0.25, 1.2};
  auto created = BudgetController::create(policy);
  ASSERT_TRUE(created.ok());
  BudgetController c = std::move(created).value();
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int64_t last_change = -1000;
  int changes = 0;
  for (int64_t t = 0; t < 20000; ++t) {
    DeviceState s;
    if (unit(rng) < 0.9) s.battery_percent = 100 * unit(rng);
    if (unit(rng) < 0.9) s.charging = unit(rng) < 0.3;
    if (unit(rng) < 0.9) s.temperature_c = 30 + 70 * unit(rng);
    if (unit(rng) < 0.9) s.mem_total_bytes = 8 * kGiB;
    if (unit(rng) < 0.9) s.mem_available_bytes = static_cast<uint64_t>(unit(rng) * 8 * kGiB);
    const auto d = c.update(s, t, 20 * unit(rng));
    ASSERT_GE(d.budget.bits, 2.0);
    ASSERT_LE(d.budget.bits, 8.0);
    ASSERT_GE(d.budget.resident_planes, 1);
    ASSERT_LE(d.budget.resident_planes, 4);
    ASSERT_LE(d.budget.bits, 2.0 * d.budget.resident_planes);
    ASSERT_FALSE(d.reason.empty());
    if (d.changed) {
      ASSERT_GE(t - last_change, 5) << "token " << t;
      last_change = t;
      ++changes;
    }
  }
  EXPECT_GT(changes, 100);  // random input does move it
}

}  // namespace
}  // namespace mobiq
