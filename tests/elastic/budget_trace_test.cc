// Simulated device traces played through a fake sysfs tree, DeviceProbe and the default policy:
// the budget moves in the right direction within a bounded number of tokens, holds still under noisy
// readings, survives files that vanish or go bad, and stays inside a user's cap and floor.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "runtime/elastic/budget_controller.h"
#include "runtime/elastic/device_probe.h"
#include "tests/elastic/fake_device.h"

namespace mobiq {
namespace {

using test::FakeDevice;

constexpr uint64_t kGiB = 1024ull * 1024 * 1024;

struct Step {
  int64_t token = 0;
  DeviceState state;
  BudgetController::Decision decision;
};

// Plays `tokens` tokens: before each, `at(t)` rewrites the fake tree; then the probe reads it and the
// controller decides (the probe is built after at(0) so that it lists what the trace created).
std::vector<Step> play(FakeDevice& device, BudgetController& controller, int64_t tokens,
                       const std::function<void(int64_t)>& at) {
  std::vector<Step> steps;
  at(0);
  const DeviceProbe probe(device.root());
  for (int64_t t = 0; t < tokens; ++t) {
    if (t > 0) at(t);
    Step step;
    step.token = t;
    step.state = probe.read();
    step.decision = controller.update(step.state, t, 0.0);
    steps.push_back(std::move(step));
  }
  return steps;
}

int count_changes(const std::vector<Step>& steps, int64_t from = 0) {
  int changes = 0;
  for (const Step& s : steps) changes += s.token >= from && s.decision.changed;
  return changes;
}

// The first token whose reading satisfies `crossed`, or -1.
int64_t first_token(const std::vector<Step>& steps, const std::function<bool(const DeviceState&)>& crossed) {
  for (const Step& s : steps)
    if (crossed(s.state)) return s.token;
  return -1;
}

// Within the dwell time of the reading crossing, the budget meets `reached`.
void expect_responds(const std::vector<Step>& steps, int64_t crossed_at, int64_t bound,
                     const std::function<bool(const Budget&)>& reached, const std::string& what) {
  ASSERT_GE(crossed_at, 0) << what << ": the trace never crosses";
  const int64_t by = crossed_at + bound;
  ASSERT_LT(by, static_cast<int64_t>(steps.size())) << what;
  EXPECT_TRUE(reached(steps[by].decision.budget))
      << what << ": crossed at token " << crossed_at << ", budget at token " << by << " is "
      << steps[by].decision.budget.bits << " bits, " << steps[by].decision.budget.resident_planes << " planes ("
      << steps[by].decision.reason << ")";
}

const int64_t kDwell = default_budget_policy().min_dwell_tokens;

TEST(BudgetTrace, BatteryDrainingFrom100To5) {
  FakeDevice device;
  BudgetController controller = BudgetController::with_default_policy();
  const auto steps = play(device, controller, 96 * 20, [&](int64_t t) {
    device.set_battery("BAT0", static_cast<int>(100 - t / 20));  // one percent every 20 tokens
  });
  for (size_t i = 1; i < steps.size(); ++i)
    ASSERT_LE(steps[i].decision.budget.bits, steps[i - 1].decision.budget.bits) << "token " << i;
  // Plain variables, not structured bindings: clang before 16 cannot capture those in a lambda.
  for (const auto& limit : {std::pair{50.0, 6.0}, {30.0, 4.0}, {15.0, 2.5}}) {
    const double threshold = limit.first, bits = limit.second;
    const int64_t crossed = first_token(steps, [&](const DeviceState& s) { return *s.battery_percent < threshold; });
    expect_responds(steps, crossed, kDwell, [&](const Budget& b) { return b.bits <= bits; },
                    "battery below " + std::to_string(threshold));
  }
  EXPECT_EQ(steps.back().state.battery_percent, 5.0);
  EXPECT_EQ(steps.back().decision.budget, (Budget{2.5, 4}));
  EXPECT_EQ(steps.back().decision.reason, "battery 14% -> 2.5 bits");
  EXPECT_EQ(count_changes(steps), 3);
}

TEST(BudgetTrace, BatteryJitterAroundAThresholdDoesNotFlap) {
  FakeDevice device;
  BudgetController controller = BudgetController::with_default_policy();
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> jitter(-2, 2);
  const auto steps = play(device, controller, 3000, [&](int64_t t) {
    device.set_battery("BAT0", t < 100 ? 20 : 15 + jitter(rng));
  });
  EXPECT_EQ(steps[99].decision.budget.bits, 4.0);
  EXPECT_LE(count_changes(steps, 100), 1);
  EXPECT_EQ(steps.back().decision.budget.bits, 2.5);
}

TEST(BudgetTrace, ChargingLiftsBatteryLimits) {
  FakeDevice device;
  BudgetController controller = BudgetController::with_default_policy();
  const auto steps = play(device, controller, 400, [&](int64_t t) {
    device.set_battery("BAT0", 10, t < 200 ? "Discharging" : "Charging");
  });
  EXPECT_EQ(steps[199].decision.budget.bits, 2.5);
  expect_responds(steps, 200, kDwell, [](const Budget& b) { return b.bits == 8.0; }, "charger plugged in");
}

TEST(BudgetTrace, TemperatureRampingUpAndBack) {
  FakeDevice device;
  BudgetController controller = BudgetController::with_default_policy();
  // 40 -> 95 C at 0.1 C per token, 100 tokens at 95 C, then back down to 40 C.
  auto celsius = [](int64_t t) { return t < 550 ? 40.0 + 0.1 * t : t < 650 ? 95.0 : std::max(40.0, 95.0 - 0.1 * (t - 650)); };
  device.set_zone(0, "CPU-therm", 35.0);
  device.set_zone(2, "PMIC-Die", 100.0);
  const auto steps = play(device, controller, 1300, [&](int64_t t) { device.set_zone(1, "tj-therm", celsius(t)); });

  for (size_t i = 1; i < 650; ++i)
    ASSERT_LE(steps[i].decision.budget.bits, steps[i - 1].decision.budget.bits) << "heating, token " << i;
  for (size_t i = 651; i < steps.size(); ++i)
    ASSERT_GE(steps[i].decision.budget.bits, steps[i - 1].decision.budget.bits) << "cooling, token " << i;
  for (const auto& limit : {std::pair{75.0, 6.0}, {85.0, 4.0}, {92.0, 2.0}}) {
    const double threshold = limit.first, bits = limit.second;
    const int64_t crossed = first_token(steps, [&](const DeviceState& s) { return *s.temperature_c > threshold; });
    expect_responds(steps, crossed, kDwell, [&](const Budget& b) { return b.bits <= bits; },
                    "above " + std::to_string(threshold) + " C");
  }
  EXPECT_EQ(steps[649].decision.budget.bits, 2.0);
  EXPECT_EQ(steps[649].decision.reason.rfind("tj-therm ", 0), 0u) << steps[649].decision.reason;
  // Cooling releases the last rule (75 C) once the reading is its margin (3 C) below the threshold.
  int64_t below_72 = -1;
  for (const Step& s : steps)
    if (s.token > 650 && *s.state.temperature_c <= 72.0) {
      below_72 = s.token;
      break;
    }
  EXPECT_EQ(steps[below_72 - 1].decision.budget.bits, 6.0);
  expect_responds(steps, below_72, kDwell, [](const Budget& b) { return b.bits == 8.0; }, "cooled below 72 C");
  EXPECT_EQ(steps.back().decision.budget.bits, 8.0);
}

TEST(BudgetTrace, TemperatureJitterAroundAThresholdDoesNotFlap) {
  FakeDevice device;
  BudgetController controller = BudgetController::with_default_policy();
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> jitter(-1.5, 1.5);
  const auto steps = play(device, controller, 3000, [&](int64_t t) {
    device.set_zone(0, "GPU-therm", t < 100 ? 80.0 : 85.0 + jitter(rng));
  });
  EXPECT_EQ(steps[99].decision.budget.bits, 6.0);
  EXPECT_LE(count_changes(steps, 100), 1);
  EXPECT_EQ(steps.back().decision.budget.bits, 4.0);
}

TEST(BudgetTrace, MemoryPressureRisingGivesPlanesBack) {
  FakeDevice device;
  BudgetController controller = BudgetController::with_default_policy();
  const uint64_t total = 8 * kGiB;
  // MemAvailable from 60% to 2% of MemTotal, half a percent every 10 tokens.
  auto fraction = [](int64_t t) { return std::max(0.02, 0.60 - 0.005 * static_cast<double>(t / 10)); };
  const auto steps = play(device, controller, 1300, [&](int64_t t) {
    device.set_meminfo(total, static_cast<uint64_t>(fraction(t) * static_cast<double>(total)));
  });
  for (size_t i = 1; i < steps.size(); ++i) {
    const Budget& b = steps[i].decision.budget;
    ASSERT_LE(b.resident_planes, steps[i - 1].decision.budget.resident_planes) << "token " << i;
    ASSERT_LE(b.bits, 2.0 * b.resident_planes) << "token " << i;
  }
  for (const auto& limit : {std::pair{0.15, 3}, {0.10, 2}, {0.05, 1}}) {
    const double threshold = limit.first;
    const int planes = limit.second;
    const int64_t crossed = first_token(steps, [&](const DeviceState& s) {
      return static_cast<double>(*s.available_bytes()) / static_cast<double>(*s.total_bytes()) < threshold;
    });
    expect_responds(steps, crossed, kDwell, [&](const Budget& b) { return b.resident_planes <= planes; },
                    "memory below " + std::to_string(threshold));
  }
  EXPECT_EQ(steps.back().decision.budget, (Budget{2.0, 1}));
}

TEST(BudgetTrace, CgroupPressureRisingGivesPlanesBack) {
  FakeDevice device;
  BudgetController controller = BudgetController::with_default_policy();
  device.set_meminfo(64 * kGiB, 60 * kGiB);  // the machine has plenty; the container does not
  device.write("proc/self/cgroup", "0::/mobiq\n");
  const uint64_t limit = 2 * kGiB;
  const auto steps = play(device, controller, 1000, [&](int64_t t) {
    const uint64_t usage = kGiB / 2 + static_cast<uint64_t>(t) * (3 * kGiB / 2) / 1000;  // 0.5 -> 2 GiB
    device.set_cgroup("/mobiq", std::to_string(limit), std::min(usage, limit - 100 * 1024 * 1024));
  });
  EXPECT_EQ(steps.front().decision.budget.resident_planes, 4);
  for (size_t i = 1; i < steps.size(); ++i)
    ASSERT_LE(steps[i].decision.budget.resident_planes, steps[i - 1].decision.budget.resident_planes) << i;
  EXPECT_EQ(steps.back().decision.budget, (Budget{2.0, 1}));
}

TEST(BudgetTrace, MemoryJitterDoesNotFlap) {
  FakeDevice device;
  BudgetController controller = BudgetController::with_default_policy();
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> jitter(-0.01, 0.01);
  const uint64_t total = 8 * kGiB;
  const auto steps = play(device, controller, 3000, [&](int64_t t) {
    const double f = t < 100 ? 0.12 : 0.10 + jitter(rng);
    device.set_meminfo(total, static_cast<uint64_t>(f * static_cast<double>(total)));
  });
  EXPECT_EQ(steps[99].decision.budget.resident_planes, 3);
  EXPECT_LE(count_changes(steps, 100), 1);
}

TEST(BudgetTrace, VanishingAndMalformedFilesHoldTheBudget) {
  FakeDevice device;
  BudgetController controller = BudgetController::with_default_policy();
  const auto steps = play(device, controller, 600, [&](int64_t t) {
    if (t < 100) {
      device.set_battery("BAT0", 20);
      device.set_zone(0, "CPU-therm", 50.0);
      device.set_meminfo(8 * kGiB, 4 * kGiB);
    } else if (t == 100) {
      device.remove("sys/class/power_supply/BAT0/capacity");
      device.write("sys/class/thermal/thermal_zone0/temp", "unavailable\n");
      device.write("proc/meminfo", "\x01\x02 not meminfo");
    } else if (t == 300) {
      device.remove("sys/class");
      device.remove("proc");
    } else if (t == 500) {
      device.set_battery("BAT0", 90);
    }
  });
  EXPECT_EQ(steps[99].decision.budget.bits, 4.0);
  for (int64_t t = 100; t < 500; ++t) {
    ASSERT_FALSE(steps[t].state.battery_percent) << t;
    ASSERT_FALSE(steps[t].decision.changed) << t;
    ASSERT_EQ(steps[t].decision.budget.bits, 4.0) << t;
  }
  expect_responds(steps, 500, kDwell, [](const Budget& b) { return b.bits == 8.0; }, "battery back at 90%");
}

TEST(BudgetTrace, CapAndFloorHoldThroughATrace) {
  FakeDevice device;
  auto created = BudgetController::from_json(R"({
    "cap": {"bits": 6.0, "resident_planes": 3},
    "floor": {"bits": 3.0},
    "min_dwell_tokens": 8,
    "rules": [
      {"when": "temperature_c", "above": 60, "bits": 5.0},
      {"when": "temperature_c", "above": 80, "bits": 2.0, "resident_planes": 1},
      {"when": "available_memory_fraction", "below": 0.1, "resident_planes": 1}
    ]})");
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  BudgetController controller = std::move(created).value();
  auto celsius = [](int64_t t) { return t < 550 ? 40.0 + 0.1 * t : std::max(40.0, 95.0 - 0.1 * (t - 550)); };
  const auto steps = play(device, controller, 1200, [&](int64_t t) {
    device.set_zone(0, "tj-therm", celsius(t));
    device.set_meminfo(8 * kGiB, t % 400 < 200 ? 4 * kGiB : kGiB / 2);
  });
  bool floor_reached = false;
  for (const Step& s : steps) {
    const Budget& b = s.decision.budget;
    ASSERT_GE(b.bits, 3.0) << s.token;
    ASSERT_LE(b.bits, 6.0) << s.token;
    ASSERT_GE(b.resident_planes, 2) << s.token;  // 3 bits need 2 planes
    ASSERT_LE(b.resident_planes, 3) << s.token;
    floor_reached = floor_reached || b == Budget{3.0, 2};
  }
  EXPECT_TRUE(floor_reached);
  EXPECT_EQ(steps.front().decision.budget, (Budget{6.0, 3}));
}

}  // namespace
}  // namespace mobiq
