#include "runtime/elastic/budget_controller.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

namespace mobiq {
namespace {

std::optional<double> reading(const DeviceState& state, Metric metric) {
  switch (metric) {
    case Metric::kBatteryPercent: return state.battery_percent;
    case Metric::kTemperatureC: return state.temperature_c;
    case Metric::kAvailableMemoryBytes: {
      const auto available = state.available_bytes();
      if (!available) return std::nullopt;
      return static_cast<double>(*available);
    }
    case Metric::kAvailableMemoryFraction: {
      const auto available = state.available_bytes();
      const auto total = state.total_bytes();
      if (!available || !total || *total == 0) return std::nullopt;
      return static_cast<double>(*available) / static_cast<double>(*total);
    }
  }
  return std::nullopt;
}

// "8.0", "2.5", "2.25": one decimal, two when the speed target made a quarter step.
std::string format_bits(double bits) {
  char text[16];
  std::snprintf(text, sizeof(text), "%.2f", bits);
  std::string s = text;
  if (s.size() >= 2 && s.back() == '0') s.pop_back();
  return s;
}

std::string format(const char* pattern, double value) {
  char text[48];
  std::snprintf(text, sizeof(text), pattern, value);
  return text;
}

}  // namespace

BudgetController::BudgetController(BudgetPolicy policy)
    : policy_(std::move(policy)), rules_(policy_.rules.size()) {
  const Target initial = rule_target();
  budget_ = initial.budget;
  reason_ = describe(initial);
}

Result<BudgetController> BudgetController::create(BudgetPolicy policy) {
  MOBIQ_RETURN_IF_ERROR(validate_budget_policy(policy));
  return BudgetController(std::move(policy));
}

Result<BudgetController> BudgetController::from_json(const std::string& json) {
  MOBIQ_ASSIGN_OR_RETURN(BudgetPolicy policy, parse_budget_policy(json));
  return BudgetController(std::move(policy));
}

BudgetController BudgetController::with_default_policy() { return BudgetController(default_budget_policy()); }

BudgetController::Decision BudgetController::update(const DeviceState& state, int64_t token_index,
                                                    double measured_tokens_per_second, double measured_bits) {
  update_rules(state);
  const bool dwell_over = !has_changed_ || token_index < last_change_token_ ||
                          token_index - last_change_token_ >= policy_.min_dwell_tokens;
  Target target = rule_target();
  if (policy_.speed_target && dwell_over) update_speed_offset(measured_tokens_per_second, target.budget.bits, measured_bits);
  target = with_speed_offset(target);

  Decision decision;
  if (dwell_over && target.budget != budget_) {
    budget_ = target.budget;
    reason_ = describe(target);
    has_changed_ = true;
    last_change_token_ = token_index;
    decision.changed = true;
  }
  decision.budget = budget_;
  decision.reason = reason_;
  // A reading the probe dropped as implausible is said every time, so a log shows why a rule that
  // should have fired did not.
  for (const std::string& ignored : state.ignored_readings) decision.reason += " (" + ignored + ")";
  return decision;
}

void BudgetController::update_rules(const DeviceState& state) {
  if (state.temperature_c && state.hottest_zone) hottest_zone_ = *state.hottest_zone;
  const bool charging = state.charging.value_or(false);
  for (size_t i = 0; i < rules_.size(); ++i) {
    const BudgetRule& rule = policy_.rules[i];
    RuleState& rs = rules_[i];
    const auto value = reading(state, rule.metric);
    if (value) rs.reading = *value;
    if (rule.unless_charging && charging) {
      rs.active = false;
      continue;
    }
    if (!value) continue;  // unknown: the rule keeps its state
    const bool above = fires_above(rule.metric);
    if (!rs.active) {
      rs.active = above ? *value > rule.threshold : *value < rule.threshold;
    } else {
      const bool released = above ? *value <= rule.threshold - rule.release_margin
                                  : *value >= rule.threshold + rule.release_margin;
      rs.active = !released;
    }
  }
}

BudgetController::Target BudgetController::rule_target() const {
  Target t;
  t.budget = policy_.cap;
  if (policy_.cap.resident_planes < kMaxPlanes) t.planes_cause = {Cause::kCap};
  if (policy_.cap.bits < kMaxBudgetBits) t.bits_cause = {Cause::kCap};
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (!rules_[i].active) continue;
    const BudgetRule& rule = policy_.rules[i];
    if (rule.resident_planes && *rule.resident_planes < t.budget.resident_planes) {
      t.budget.resident_planes = *rule.resident_planes;
      t.planes_cause = {Cause::kRule, i};
    }
    if (rule.bits && *rule.bits < t.budget.bits) {
      t.budget.bits = *rule.bits;
      t.bits_cause = {Cause::kRule, i};
    }
  }
  // The floor's bits need their planes resident.
  const int32_t planes_floor =
      std::max(policy_.floor.resident_planes, static_cast<int32_t>(std::ceil(policy_.floor.bits / 2.0)));
  if (t.budget.resident_planes < planes_floor) {
    t.budget.resident_planes = planes_floor;
    t.planes_cause = {Cause::kFloor};
  }
  const double plane_bits = 2.0 * t.budget.resident_planes;
  if (t.budget.bits > plane_bits) {
    t.budget.bits = plane_bits;
    t.bits_cause = t.planes_cause;
  }
  if (t.budget.bits < policy_.floor.bits) {
    t.budget.bits = policy_.floor.bits;
    t.bits_cause = {Cause::kFloor};
  }
  return t;
}

void BudgetController::update_speed_offset(double measured, double bits_ceiling, double measured_bits) {
  if (!std::isfinite(measured) || measured <= 0) return;
  const SpeedTarget& target = *policy_.speed_target;
  last_speed_ = measured;
  last_speed_bits_ = std::isfinite(measured_bits) && measured_bits > 0 ? measured_bits : 0.0;
  if (measured < target.tokens_per_second) {
    // One step below what was read: below the request, when the session reads less than it asked for.
    speed_offset_ -= target.step_bits;
    if (last_speed_bits_ > 0 && last_speed_bits_ < budget_.bits)
      speed_offset_ = std::min(speed_offset_, last_speed_bits_ - target.step_bits - bits_ceiling);
  } else if (measured > target.tokens_per_second * target.raise_above) {
    speed_offset_ += target.step_bits;
  }
  // Never further down than the floor from the current ceiling, never above the ceiling.
  speed_offset_ = std::clamp(speed_offset_, std::min(0.0, policy_.floor.bits - bits_ceiling), 0.0);
}

BudgetController::Target BudgetController::with_speed_offset(Target t) const {
  if (speed_offset_ >= 0) return t;
  const double bits = std::max(t.budget.bits + speed_offset_, policy_.floor.bits);
  if (bits < t.budget.bits) {
    t.budget.bits = bits;
    t.bits_cause = {Cause::kSpeed};
  }
  return t;
}

std::string BudgetController::describe(const Cause& cause) const {
  switch (cause.kind) {
    case Cause::kNone: return "no device limit";
    case Cause::kCap: return "user cap";
    case Cause::kFloor: return "user floor";
    case Cause::kSpeed:
      return format("speed %.1f tok/s", last_speed_) +
             (last_speed_bits_ > 0 ? format(" at %.2f bits measured", last_speed_bits_) : std::string()) +
             format(", target %.1f", policy_.speed_target ? policy_.speed_target->tokens_per_second : 0.0);
    case Cause::kRule: break;
  }
  const double value = rules_[cause.rule].reading;
  switch (policy_.rules[cause.rule].metric) {
    case Metric::kBatteryPercent: return format("battery %.0f%%", value);
    case Metric::kTemperatureC: return (hottest_zone_.empty() ? "temperature" : hottest_zone_) + format(" %.1f C", value);
    case Metric::kAvailableMemoryBytes: return format("memory %.0f MiB available", value / (1024.0 * 1024.0));
    case Metric::kAvailableMemoryFraction: return format("memory %.0f%% available", value * 100.0);
  }
  return "unknown";
}

std::string BudgetController::describe(const Target& t) const {
  std::string text = describe(t.bits_cause) + " -> " + format_bits(t.budget.bits) + " bits";
  if (t.planes_cause.kind == Cause::kNone) return text;
  const std::string planes =
      std::to_string(t.budget.resident_planes) + (t.budget.resident_planes == 1 ? " plane" : " planes");
  if (t.planes_cause == t.bits_cause) return text + ", " + planes;
  return text + "; " + describe(t.planes_cause) + " -> " + planes;
}

}  // namespace mobiq
