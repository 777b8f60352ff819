#include "runtime/capi/session_budget.h"

#include <cmath>

#include "runtime/engine/precision.h"

namespace mobiq {

SessionBudget::SessionBudget(LoadedModel& loaded)
    : loaded_(loaded),
      reason_(loaded.model().max_slices() > 0 ? "every slice plane (the default)" : "unquantized model") {}

Status SessionBudget::check_fixed(double bits) const {
  return check_budget_bits(bits, loaded_.model().max_slices());
}

Status SessionBudget::set_fixed(Session& session, double bits, std::string reason) {
  const int max_slices = loaded_.model().max_slices();
  MOBIQ_RETURN_IF_ERROR(check_fixed(bits));
  if (!loaded_.model().plane_regions()[0].empty()) MOBIQ_RETURN_IF_ERROR(loaded_.set_resident_planes(max_slices));
  MOBIQ_RETURN_IF_ERROR(session.set_slice_cap(max_slices));
  MOBIQ_RETURN_IF_ERROR(session.set_budget_bits(bits));
  auto_.reset();
  reason_ = std::move(reason);
  return Status::Ok();
}

Status SessionBudget::set_auto(Session& session, const AutoBudgetOptions& options) {
  MOBIQ_ASSIGN_OR_RETURN(std::unique_ptr<AutoBudget> budget, AutoBudget::create(loaded_.model(), options));
  MOBIQ_RETURN_IF_ERROR(budget->start(session, loaded_));
  auto_ = std::move(budget);
  return Status::Ok();
}

Status SessionBudget::after_token(Session& session) {
  if (auto_ == nullptr) return Status::Ok();
  return auto_->after_token(session, loaded_).with_context("automatic budget");
}

}  // namespace mobiq
