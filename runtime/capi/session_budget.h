// A session's budget as an application sees it: fixed (a number of bits) or automatic (AutoBudget),
// the slice planes kept resident, and a sentence saying why the budget is what it is. The C API and
// the `mobiq run` / `mobiq chat` commands drive their sessions through it.
#pragma once

#include <memory>
#include <string>

#include "runtime/capi/auto_budget.h"
#include "runtime/engine/session.h"

namespace mobiq {

class SessionBudget {
 public:
  // Starts fixed at the session's current budget with every plane resident. `loaded` (the session's
  // loaded model, whose plane residency this drives) must outlive this.
  explicit SessionBudget(LoadedModel& loaded);

  // A fixed budget (leaves the automatic mode; every plane becomes resident again, so the next fixed
  // budget may be anything). kOutOfRange outside 2 .. 2 x max_slices, kInvalidArgument for NaN,
  // kUnsupported for an unquantized model. Nothing changes on an error.
  Status set_fixed(Session& session, double bits, std::string reason);
  // The checks of set_fixed that do not touch the session: safe from any thread.
  Status check_fixed(double bits) const;
  // The automatic mode: probes now and applies the policy's budget. Nothing changes on an error.
  Status set_auto(Session& session, const AutoBudgetOptions& options);
  // Call after every generated token; the automatic mode probes every few tokens.
  Status after_token(Session& session);

  bool is_auto() const { return auto_ != nullptr; }
  const std::string& reason() const { return is_auto() ? auto_->reason() : reason_; }
  const LoadedModel& residency() const { return loaded_; }

 private:
  LoadedModel& loaded_;
  std::unique_ptr<AutoBudget> auto_;  // null while fixed
  std::string reason_;                // the fixed budget's
};

}  // namespace mobiq
