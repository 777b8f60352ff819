// The budget controller: fed the device state every few tokens, it returns the budget the next token
// runs at and why. It applies a BudgetPolicy (runtime/elastic/budget_policy.h) with:
//   - hysteresis: a rule fires when its reading crosses the threshold and is released only once the
//     reading is release_margin past it the other way, so noise around a threshold does not flap;
//   - a dwell time: the budget changes at most once per min_dwell_tokens tokens;
//   - the most restrictive active rule binding bits and planes separately, then the user floor, and
//     bits <= 2 * resident_planes (bits never need a plane that is not resident);
//   - an optional tokens/s target that moves bits by step_bits per dwell period.
// A reading that is unknown (nullopt) leaves its rules as they were: a flaky sysfs file neither fires
// nor releases anything, and with no readings at all the budget stays at the cap.
//
// One controller per session; not thread-safe (call update() from the thread that generates).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/elastic/budget_policy.h"
#include "runtime/elastic/device_probe.h"

namespace mobiq {

class BudgetController {
 public:
  struct Decision {
    Budget budget;        // what the next token runs at
    bool changed = false; // budget differs from the previous decision's
    std::string reason;   // why budget is what it is: "battery 18% -> 2.5 bits"; kept while unchanged
  };

  // kInvalidArgument when the policy does not validate (validate_budget_policy).
  static Result<BudgetController> create(BudgetPolicy policy);
  // The JSON form (runtime/elastic/POLICY.md); errors name the key.
  static Result<BudgetController> from_json(const std::string& json);
  static BudgetController with_default_policy();

  // token_index: tokens generated so far in this session (the dwell clock; if it goes back, as after a
  // reset, the dwell restarts). measured_tokens_per_second: recent decode speed, <= 0 when unknown;
  // only read when the policy has a speed target. measured_bits: what the session actually read since
  // its budget was set (routers counted), <= 0 when unknown: the speed target reasons in it, not in the
  // bits it asked for (a session that reads less than its request is slowed by a real step).
  Decision update(const DeviceState& state, int64_t token_index, double measured_tokens_per_second,
                  double measured_bits = 0.0);

  const Budget& budget() const { return budget_; }
  const std::string& reason() const { return reason_; }
  const BudgetPolicy& policy() const { return policy_; }

 private:
  // What a rule last saw, for hysteresis and for its reason text.
  struct RuleState {
    bool active = false;
    double reading = 0.0;  // the rule's metric at its last known reading
  };
  // Which limit binds one half of a budget; turned into text only when the budget changes.
  struct Cause {
    enum Kind { kNone, kCap, kRule, kFloor, kSpeed } kind = kNone;
    size_t rule = 0;  // index into policy_.rules for kRule
    bool operator==(const Cause&) const = default;
  };
  // The budget the policy asks for now, and what binds each half of it.
  struct Target {
    Budget budget;
    Cause bits_cause;
    Cause planes_cause;  // kNone while planes are not limited below kMaxPlanes
  };

  explicit BudgetController(BudgetPolicy policy);
  void update_rules(const DeviceState& state);
  // The target from the cap, the active rules and the floor, before the speed target's offset.
  Target rule_target() const;
  void update_speed_offset(double measured_tokens_per_second, double bits_ceiling, double measured_bits);
  Target with_speed_offset(Target target) const;
  std::string describe(const Cause& cause) const;
  std::string describe(const Target& target) const;

  BudgetPolicy policy_;
  std::vector<RuleState> rules_;    // parallel to policy_.rules
  std::string hottest_zone_;        // the zone temperature rules last saw: "tj-therm"
  double speed_offset_ = 0.0;       // bits the speed target has taken off (<= 0)
  double last_speed_ = 0.0;         // tokens/s at the last speed nudge
  double last_speed_bits_ = 0.0;    // measured bits at the last speed nudge (0: unknown)
  Budget budget_;
  std::string reason_;
  bool has_changed_ = false;        // the dwell clock runs from the first change
  int64_t last_change_token_ = 0;
};

}  // namespace mobiq
