// The automatic budget of a session: every few generated tokens it reads the device (DeviceProbe),
// asks the policy's BudgetController for a budget, and applies it from the next token: the bits with
// Session::set_budget_bits and the planes kept resident with LoadedModel::set_resident_planes. Shared by the C API and
// the `mobiq run` / `mobiq chat` commands.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "runtime/core/result.h"
#include "runtime/elastic/budget_controller.h"
#include "runtime/elastic/device_probe.h"
#include "runtime/engine/session.h"

namespace mobiq {

struct AutoBudgetOptions {
  std::string policy_json;        // a policy as JSON text; empty: the built-in policy
  std::string state_root = "/";   // where DeviceProbe reads sysfs and procfs
  int32_t probe_interval = 8;     // generated tokens between two probes, >= 1
};

class AutoBudget {
 public:
  // kInvalidArgument for a malformed policy or interval; kUnsupported for an unquantized model.
  static Result<std::unique_ptr<AutoBudget>> create(const Model& model, const AutoBudgetOptions& options);

  // Probes now and applies the decision: call when a session enters the automatic mode.
  Status start(Session& session, LoadedModel& loaded);
  // Call after every generated token; probes and applies every probe_interval tokens.
  Status after_token(Session& session, LoadedModel& loaded);

  const Budget& budget() const { return budget_; }
  // Why the budget is what it is: the controller's reason for its last change.
  const std::string& reason() const { return reason_; }
  int64_t changes() const { return changes_; }

 private:
  AutoBudget(BudgetController controller, std::string state_root, int32_t probe_interval, int32_t max_slices);
  Status probe_and_apply(Session& session, LoadedModel& loaded);

  DeviceProbe probe_;
  BudgetController controller_;
  int32_t probe_interval_;
  int32_t max_slices_;    // the model's planes: caps what the policy asks for
  int64_t tokens_ = 0;    // generated since start()
  Budget budget_;
  std::string reason_;
  int64_t changes_ = 0;
};

}  // namespace mobiq
