// The governor of `--budget auto` and mobiq_session_set_budget_auto: every few generated tokens it
// reads the device (DeviceProbe) and asks the policy's BudgetController for a budget; the session
// applies it from the next token (runtime/engine/budget_governor.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "runtime/core/result.h"
#include "runtime/elastic/budget_controller.h"
#include "runtime/elastic/device_probe.h"
#include "runtime/engine/budget_governor.h"

namespace mobiq {

struct DeviceGovernorOptions {
  std::string policy_json;        // a policy as JSON text; empty: the built-in policy
  std::string state_root = "/";   // where DeviceProbe reads sysfs and procfs
  int32_t probe_interval = 8;     // generated tokens between two probes, >= 1
};

class DeviceGovernor final : public BudgetGovernor {
 public:
  // kInvalidArgument for a malformed policy or interval.
  static Result<std::unique_ptr<DeviceGovernor>> create(const DeviceGovernorOptions& options);

  std::optional<BudgetMode> budget_mode() const override { return controller_.policy().budget_mode; }
  // Probes at token 0 and every probe_interval tokens; answers at token 0 and when the controller
  // changes the budget.
  std::optional<Budget> decide(const GovernorReading& reading) override;
  const std::string& reason() const override { return reason_; }

 private:
  DeviceGovernor(BudgetController controller, std::string state_root, int32_t probe_interval);

  DeviceProbe probe_;
  BudgetController controller_;
  int32_t probe_interval_;
  std::string reason_;  // the decision's that set the budget in force, with the readings it ignored
};

}  // namespace mobiq
