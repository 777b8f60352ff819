#include "runtime/elastic/device_governor.h"

namespace mobiq {

Result<std::unique_ptr<DeviceGovernor>> DeviceGovernor::create(const DeviceGovernorOptions& options) {
  if (options.probe_interval < 1)
    return invalid_argument("probe interval " + std::to_string(options.probe_interval) + " must be >= 1 token");
  Result<BudgetController> controller = options.policy_json.empty() ? BudgetController::with_default_policy()
                                                                    : BudgetController::from_json(options.policy_json);
  if (!controller.ok()) return controller.status();
  return std::unique_ptr<DeviceGovernor>(
      new DeviceGovernor(std::move(controller).value(), options.state_root, options.probe_interval));
}

DeviceGovernor::DeviceGovernor(BudgetController controller, std::string state_root, int32_t probe_interval)
    : probe_(std::move(state_root)), controller_(std::move(controller)), probe_interval_(probe_interval) {}

std::optional<Budget> DeviceGovernor::decide(const GovernorReading& reading) {
  if (reading.tokens % probe_interval_ != 0) return std::nullopt;
  const BudgetController::Decision decision =
      controller_.update(probe_.read(), reading.tokens, reading.tokens_per_second, reading.spend_bits);
  // The first decision applies even when the controller calls it unchanged: the session may have
  // been running at a fixed budget until now.
  if (!decision.changed && reading.tokens > 0) return std::nullopt;
  reason_ = decision.reason;
  return decision.budget;
}

}  // namespace mobiq
