#include "runtime/capi/auto_budget.h"

#include <algorithm>
#include <cmath>

namespace mobiq {

Result<std::unique_ptr<AutoBudget>> AutoBudget::create(const Model& model, const AutoBudgetOptions& options) {
  if (model.max_slices() == 0) return unsupported("an unquantized model has no precision budget");
  if (options.probe_interval < 1)
    return invalid_argument("probe interval " + std::to_string(options.probe_interval) + " must be >= 1 token");
  Result<BudgetController> controller = options.policy_json.empty() ? BudgetController::with_default_policy()
                                                                    : BudgetController::from_json(options.policy_json);
  if (!controller.ok()) return controller.status();
  return std::unique_ptr<AutoBudget>(new AutoBudget(std::move(controller).value(), options.state_root,
                                                    options.probe_interval, model.max_slices()));
}

AutoBudget::AutoBudget(BudgetController controller, std::string state_root, int32_t probe_interval,
                       int32_t max_slices)
    : probe_(std::move(state_root)),
      controller_(std::move(controller)),
      probe_interval_(probe_interval),
      max_slices_(max_slices) {}

Status AutoBudget::start(Session& session, LoadedModel& loaded) {
  tokens_ = 0;
  if (controller_.policy().budget_mode) session.set_budget_mode(*controller_.policy().budget_mode);
  return probe_and_apply(session, loaded);
}

Status AutoBudget::after_token(Session& session, LoadedModel& loaded) {
  ++tokens_;
  if (tokens_ % probe_interval_ != 0) return Status::Ok();
  return probe_and_apply(session, loaded);
}

Status AutoBudget::probe_and_apply(Session& session, LoadedModel& loaded) {
  const BudgetController::Decision decision =
      controller_.update(probe_.read(), tokens_, session.stats().tokens_per_second(), session.stats().spend_bits);
  // The first decision applies even when the controller calls it unchanged: the session may have
  // been running at a fixed budget until now.
  if (!decision.changed && tokens_ > 0) return Status::Ok();
  // A model with fewer planes than the policy assumes caps both numbers.
  const int32_t planes = std::clamp(decision.budget.resident_planes, 1, max_slices_);
  const double bits = std::clamp(decision.budget.bits, 2.0, 2.0 * planes);
  // Raise residency before the bits that need it; lower it after the bits that no longer do.
  // The slice cap follows the planes, so no token reads a plane that is being given back.
  if (planes > loaded.resident_planes()) MOBIQ_RETURN_IF_ERROR(loaded.set_resident_planes(planes));
  MOBIQ_RETURN_IF_ERROR(session.set_slice_cap(planes));
  MOBIQ_RETURN_IF_ERROR(session.set_budget_bits(bits));
  if (planes < loaded.resident_planes()) MOBIQ_RETURN_IF_ERROR(loaded.set_resident_planes(planes));
  budget_ = Budget{bits, planes};
  reason_ = decision.reason;
  if (decision.changed) ++changes_;
  return Status::Ok();
}

}  // namespace mobiq
