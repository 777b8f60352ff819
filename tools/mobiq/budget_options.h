// The precision options `mobiq run` and `mobiq chat` share: --budget B|auto, --policy, --state-root,
// and applying them to a session: a fixed budget, or a DeviceGovernor the session owns.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "runtime/elastic/device_governor.h"
#include "runtime/engine/session.h"

namespace mobiq::cli {

struct BudgetChoice {
  std::string budget;      // "" (the model's full precision), "auto", or bits per weight "2".."8"
  std::string policy_file; // --policy: a budget policy JSON file for --budget auto
  std::string state_root = "/";  // --state-root: where the device probes read sysfs/procfs
  int32_t probe_interval = 8;    // --probe-interval: generated tokens between two probes
  std::string budget_mode = "average";  // --budget-mode: average, cap or open (spend_controller.h)
};

// Adds --budget, --budget-mode, --policy, --state-root and --probe-interval; returns the --budget option.
CLI::Option* add_budget_options(CLI::App& app, BudgetChoice& choice);

// The device governor's options a choice stands for (reads the policy file).
Result<DeviceGovernorOptions> governor_options(const BudgetChoice& choice);

// Parses "auto" or a number of bits ("4", "2.5"); kInvalidArgument for anything else.
Result<double> parse_bits(const std::string& text);

// Sets the session's --budget-mode (kInvalidArgument for an unknown name).
Status apply_budget_mode(const BudgetChoice& choice, Session& session);

// "spend 3.02 bits over 412 tokens (average, threshold offset -0.041)": what the budget got.
std::string describe_spend(const SessionStats& stats);

// Applies a budget value: "auto" switches to the automatic mode, a number fixes the budget (its
// reason: "set with <source>"), "" leaves the session as it is.
Status apply_budget(const BudgetChoice& choice, const std::string& budget, const std::string& source,
                    Session& session);

}  // namespace mobiq::cli
