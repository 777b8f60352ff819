#include "runtime/elastic/budget_policy.h"

#include <cmath>
#include <cstdio>

namespace mobiq {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

std::string num(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

Status bad(const std::string& key, const std::string& what) {
  return invalid_argument("budget policy: " + key + ": " + what);
}

bool finite(double value) { return std::isfinite(value); }

Status check_bits(double bits, const std::string& key) {
  if (!finite(bits) || bits < kMinBudgetBits || bits > kMaxBudgetBits)
    return bad(key, num(bits) + " is outside 2.0..8.0 bits per weight");
  return Status::Ok();
}

Status check_planes(int32_t planes, const std::string& key) {
  if (planes < 1 || planes > kMaxPlanes) return bad(key, std::to_string(planes) + " is outside 1..4 planes");
  return Status::Ok();
}

Status check_budget(const Budget& budget, const std::string& key) {
  MOBIQ_RETURN_IF_ERROR(check_bits(budget.bits, key + ".bits"));
  return check_planes(budget.resident_planes, key + ".resident_planes");
}

// The range a metric's threshold may take.
std::pair<double, double> threshold_range(Metric metric) {
  switch (metric) {
    case Metric::kBatteryPercent: return {0.0, 100.0};
    case Metric::kTemperatureC: return {-50.0, 200.0};
    case Metric::kAvailableMemoryBytes: return {0.0, 1e18};
    case Metric::kAvailableMemoryFraction: return {0.0, 1.0};
  }
  return {0.0, 0.0};
}

Status check_rule(const BudgetRule& rule, const std::string& key) {
  const auto [low, high] = threshold_range(rule.metric);
  const std::string direction = fires_above(rule.metric) ? ".above" : ".below";
  if (!finite(rule.threshold) || rule.threshold < low || rule.threshold > high)
    return bad(key + direction, num(rule.threshold) + " is outside " + num(low) + ".." + num(high) + " for " +
                                    metric_name(rule.metric));
  if (!finite(rule.release_margin) || rule.release_margin < 0)
    return bad(key + ".release_margin", num(rule.release_margin) + " must be >= 0");
  if (!rule.bits && !rule.resident_planes) return bad(key, "needs \"bits\" or \"resident_planes\" (or both)");
  if (rule.bits) MOBIQ_RETURN_IF_ERROR(check_bits(*rule.bits, key + ".bits"));
  if (rule.resident_planes) MOBIQ_RETURN_IF_ERROR(check_planes(*rule.resident_planes, key + ".resident_planes"));
  return Status::Ok();
}

BudgetRule rule(Metric metric, double threshold, std::optional<double> bits, std::optional<int32_t> planes,
                bool unless_charging) {
  return {metric, threshold, default_release_margin(metric), bits, planes, unless_charging};
}

}  // namespace

const char* metric_name(Metric metric) {
  switch (metric) {
    case Metric::kBatteryPercent: return "battery_percent";
    case Metric::kTemperatureC: return "temperature_c";
    case Metric::kAvailableMemoryBytes: return "available_memory_bytes";
    case Metric::kAvailableMemoryFraction: return "available_memory_fraction";
  }
  return "unknown";
}

bool fires_above(Metric metric) { return metric == Metric::kTemperatureC; }

double default_release_margin(Metric metric) {
  switch (metric) {
    case Metric::kBatteryPercent: return 3.0;
    case Metric::kTemperatureC: return 3.0;
    case Metric::kAvailableMemoryBytes: return 128.0 * kMiB;
    case Metric::kAvailableMemoryFraction: return 0.03;
  }
  return 0.0;
}

BudgetPolicy default_budget_policy() {
  constexpr auto kBattery = Metric::kBatteryPercent;
  constexpr auto kTemperature = Metric::kTemperatureC;
  constexpr auto kFraction = Metric::kAvailableMemoryFraction;
  constexpr auto kBytes = Metric::kAvailableMemoryBytes;
  BudgetPolicy policy;
  policy.rules = {
      // On battery, precision follows the charge left; on external power these rules rest.
      rule(kBattery, 50, 6.0, std::nullopt, true),
      rule(kBattery, 30, 4.0, std::nullopt, true),
      rule(kBattery, 15, 2.5, std::nullopt, true),
      rule(kBattery, 5, 2.0, std::nullopt, true),
      // Fewer bits move fewer bytes per token: less power, less heat.
      rule(kTemperature, 75, 6.0, std::nullopt, false),
      rule(kTemperature, 85, 4.0, std::nullopt, false),
      rule(kTemperature, 92, 2.0, std::nullopt, false),
      // Memory pressure gives planes back to the system.
      rule(kFraction, 0.15, std::nullopt, 3, false),
      rule(kFraction, 0.10, std::nullopt, 2, false),
      rule(kFraction, 0.05, std::nullopt, 1, false),
      rule(kBytes, 512.0 * kMiB, std::nullopt, 2, false),
      rule(kBytes, 256.0 * kMiB, std::nullopt, 1, false),
  };
  return policy;
}

Status validate_budget_policy(const BudgetPolicy& policy) {
  MOBIQ_RETURN_IF_ERROR(check_budget(policy.cap, "cap"));
  MOBIQ_RETURN_IF_ERROR(check_budget(policy.floor, "floor"));
  if (policy.floor.bits > policy.cap.bits)
    return bad("floor.bits", num(policy.floor.bits) + " is above cap.bits " + num(policy.cap.bits));
  if (policy.floor.resident_planes > policy.cap.resident_planes)
    return bad("floor.resident_planes", std::to_string(policy.floor.resident_planes) + " is above cap.resident_planes " +
                                            std::to_string(policy.cap.resident_planes));
  if (policy.floor.bits > 2.0 * policy.cap.resident_planes)
    return bad("floor.bits", num(policy.floor.bits) + " bits need more planes than cap.resident_planes " +
                                 std::to_string(policy.cap.resident_planes) + " keeps");
  if (policy.min_dwell_tokens < 0) return bad("min_dwell_tokens", std::to_string(policy.min_dwell_tokens) + " must be >= 0");
  for (size_t i = 0; i < policy.rules.size(); ++i)
    MOBIQ_RETURN_IF_ERROR(check_rule(policy.rules[i], "rules[" + std::to_string(i) + "]"));
  if (policy.speed_target) {
    const SpeedTarget& t = *policy.speed_target;
    if (!finite(t.tokens_per_second) || t.tokens_per_second <= 0)
      return bad("speed_target.tokens_per_second", num(t.tokens_per_second) + " must be > 0");
    if (!finite(t.step_bits) || t.step_bits <= 0 || t.step_bits > kMaxBudgetBits - kMinBudgetBits)
      return bad("speed_target.step_bits", num(t.step_bits) + " is outside (0, 6]");
    if (!finite(t.raise_above) || t.raise_above < 1.0)
      return bad("speed_target.raise_above", num(t.raise_above) + " must be >= 1 (a ratio to the target)");
  }
  return Status::Ok();
}

}  // namespace mobiq
