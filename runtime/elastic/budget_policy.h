// A budget policy: the declarative part of the elastic budget. Rules map device readings (battery,
// temperature, available memory) to limits on the budget; the most restrictive active rule wins, a user
// cap and floor bound the result, and an optional tokens/s target nudges bits. The JSON form and the
// built-in default are documented in runtime/elastic/POLICY.md; examples/policies/default.json parses
// to the built-in default.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "format/slice_layout.h"
#include "runtime/core/budget_mode.h"
#include "runtime/core/result.h"
#include "runtime/engine/budget_governor.h"

namespace mobiq {

// The reading a rule watches. Battery and memory rules fire below their threshold, temperature rules above.
enum class Metric : uint8_t {
  kBatteryPercent,          // DeviceState::battery_percent, 0..100
  kTemperatureC,            // DeviceState::temperature_c of the hottest zone, degrees Celsius
  kAvailableMemoryBytes,    // DeviceState::available_bytes()
  kAvailableMemoryFraction, // available_bytes() / total_bytes(), 0..1
};

// The JSON name ("battery_percent", "temperature_c", "available_memory_bytes", "available_memory_fraction").
const char* metric_name(Metric metric);
// True for metrics whose rules fire above the threshold (temperature), false for "below" metrics.
bool fires_above(Metric metric);
// The release margin a rule gets when neither it nor the policy names one: 3 (percent), 3 (C),
// 128 MiB, 0.03 (of total memory).
double default_release_margin(Metric metric);

struct BudgetRule {
  Metric metric = Metric::kBatteryPercent;
  double threshold = 0.0;       // in the metric's unit
  // Hysteresis: an active rule is released only once the reading is this far past the threshold on
  // the safe side (battery >= threshold + margin; temperature <= threshold - margin).
  double release_margin = 0.0;
  std::optional<double> bits;               // the most bits while active (2.0..8.0)
  std::optional<int32_t> resident_planes;   // the most planes while active (1..4)
  bool unless_charging = false;             // inactive while a battery charges (external power)
  bool operator==(const BudgetRule&) const = default;
};

// Nudges bits from measured decode speed: down one step while slower than the target, back up one step
// while faster than target * raise_above; one step per dwell period at most.
struct SpeedTarget {
  double tokens_per_second = 0.0;
  double step_bits = 0.25;
  double raise_above = 1.2;
  bool operator==(const SpeedTarget&) const = default;
};

struct BudgetPolicy {
  Budget cap{kMaxBudgetBits, kMaxPlanes};  // the user's cap: the budget when no rule is active
  Budget floor{kMinBudgetBits, 1};         // the user's floor: rules and the speed target never go below
  int64_t min_dwell_tokens = 32;           // tokens between two budget changes, at least
  std::vector<BudgetRule> rules;
  std::optional<SpeedTarget> speed_target;
  std::optional<BudgetMode> budget_mode;   // how the session holds its spend to the budget; absent: as it is
  bool operator==(const BudgetPolicy&) const = default;
};

// The built-in policy (POLICY.md lists it; examples/policies/default.json is the same).
BudgetPolicy default_budget_policy();

// kInvalidArgument naming the key ("budget policy: rules[2].bits: 9 is outside 2.0..8.0").
Status validate_budget_policy(const BudgetPolicy& policy);

// Parses and validates the JSON form; errors are kInvalidArgument naming the key, and unknown keys are
// errors (a typo must not silently disable a rule).
Result<BudgetPolicy> parse_budget_policy(const std::string& json);

}  // namespace mobiq
