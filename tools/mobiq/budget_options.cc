#include "tools/mobiq/budget_options.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "runtime/core/text_file.h"

namespace mobiq::cli {

CLI::Option* add_budget_options(CLI::App& app, BudgetChoice& choice) {
  CLI::Option* budget =
      app.add_option("--budget", choice.budget, "bits per weight (2..8), or auto: the device and a policy pick it");
  app.add_option("--budget-mode", choice.budget_mode,
                 "how the routers' spend meets the budget: average (closed loop: the session's mean), cap (no "
                 "window of 128 tokens over it), open (the calibrated thresholds, uncorrected)")
      ->check(CLI::IsMember({"average", "cap", "open"}))
      ->capture_default_str();
  app.add_option("--policy", choice.policy_file, "budget policy JSON for --budget auto (default: built in)")
      ->check(CLI::ExistingFile);
  app.add_option("--state-root", choice.state_root, "where --budget auto reads sysfs and procfs")
      ->check(CLI::ExistingDirectory)
      ->capture_default_str();
  app.add_option("--probe-interval", choice.probe_interval, "generated tokens between two device probes")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  return budget;
}

Result<DeviceGovernorOptions> governor_options(const BudgetChoice& choice) {
  DeviceGovernorOptions options;
  options.state_root = choice.state_root;
  options.probe_interval = choice.probe_interval;
  if (!choice.policy_file.empty()) {
    MOBIQ_ASSIGN_OR_RETURN(options.policy_json, read_text_file(choice.policy_file));
  }
  return options;
}

Result<double> parse_bits(const std::string& text) {
  char* end = nullptr;
  const double bits = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(bits))
    return invalid_argument("budget \"" + text + "\": expected bits per weight (2..8) or auto");
  return bits;
}

Status apply_budget_mode(const BudgetChoice& choice, Session& session) {
  MOBIQ_ASSIGN_OR_RETURN(BudgetMode mode, parse_budget_mode(choice.budget_mode));
  session.set_budget_mode(mode);
  return Status::Ok();
}

std::string describe_spend(const SessionStats& stats) {
  char text[160];
  std::snprintf(text, sizeof text, "spend %.2f bits over %lld tokens (%s, threshold offset %+.4f)", stats.spend_bits,
                static_cast<long long>(stats.spend_tokens), budget_mode_name(stats.budget_mode),
                static_cast<double>(stats.threshold_offset));
  return text;
}

Status apply_budget(const BudgetChoice& choice, const std::string& budget, const std::string& source,
                    Session& session) {
  if (budget.empty()) return Status::Ok();
  if (budget == "auto") {
    MOBIQ_ASSIGN_OR_RETURN(DeviceGovernorOptions options, governor_options(choice));
    MOBIQ_ASSIGN_OR_RETURN(std::unique_ptr<DeviceGovernor> governor, DeviceGovernor::create(options));
    return session.set_governor(std::move(governor));
  }
  MOBIQ_ASSIGN_OR_RETURN(double bits, parse_bits(budget));
  return session.set_budget_bits(bits, "set with " + source);
}

}  // namespace mobiq::cli
