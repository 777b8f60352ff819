// Who sets a session's budget while it generates. A session runs at a fixed budget
// (Session::set_budget_bits) or under a governor (Session::set_governor). The session asks its
// governor when it is set and after every generated token, and applies the answer itself before the
// next token: planes kept resident raised before the bits that need them and lowered after, the slice
// cap following the planes. runtime/elastic/device_governor.h is the governor that reads the device.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "format/slice_layout.h"
#include "runtime/core/budget_mode.h"

namespace mobiq {

inline constexpr double kMinBudgetBits = 2.0;  // one plane
inline constexpr double kMaxBudgetBits = 8.0;  // every plane

// What a session runs at: how precise its weights are and how many slice planes stay in memory.
struct Budget {
  double bits = kMaxBudgetBits;          // average code bits per sliced weight, 2.0..8.0
  int32_t resident_planes = kMaxPlanes;  // planes kept resident, 1..4; bits <= 2 * resident_planes
  bool operator==(const Budget&) const = default;
};

// What the session tells its governor at each consultation.
struct GovernorReading {
  int64_t tokens = 0;              // generated since the governor was set (0 when it is set)
  double tokens_per_second = 0.0;  // decode speed since the session's counters were reset, 0 when unknown
  double spend_bits = 0.0;         // bits per weight read since the budget was set, 0 when unknown
};

class BudgetGovernor {
 public:
  virtual ~BudgetGovernor() = default;
  // The spend mode the session takes when the governor is set; nullopt leaves it as it is.
  virtual std::optional<BudgetMode> budget_mode() const = 0;
  // The budget from the next token on, or nullopt to keep the one in force. Must answer at
  // reading.tokens == 0 (the session may have run at a fixed budget until then). The session
  // bounds the answer by the model's planes.
  virtual std::optional<Budget> decide(const GovernorReading& reading) = 0;
  // Why the budget is what it is: "battery 18% -> 2.5 bits".
  virtual const std::string& reason() const = 0;
};

}  // namespace mobiq
