// How a session's routed spend is held to its budget (runtime/engine/spend_controller.h has the
// rule). Here, apart from the controller, because the elastic policy file names a mode too.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/core/result.h"

namespace mobiq {

enum class BudgetMode : uint8_t {
  kAverage,  // the mean since the budget was set converges to it
  kCap,      // no window of 128 tokens spends more than it
  kOpen,     // the calibrated thresholds, uncorrected (experiments)
};

inline const char* budget_mode_name(BudgetMode mode) {
  switch (mode) {
    case BudgetMode::kAverage: return "average";
    case BudgetMode::kCap: return "cap";
    case BudgetMode::kOpen: return "open";
  }
  return "?";
}

// kInvalidArgument for anything but the three names.
inline Result<BudgetMode> parse_budget_mode(std::string_view name) {
  for (BudgetMode mode : {BudgetMode::kAverage, BudgetMode::kCap, BudgetMode::kOpen})
    if (name == budget_mode_name(mode)) return mode;
  return invalid_argument("budget mode \"" + std::string(name) + "\": expected average, cap or open");
}

}  // namespace mobiq
