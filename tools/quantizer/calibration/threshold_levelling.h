// Router thresholds planned on the calibration samples see the full-precision model's activations;
// at run time the routers see the quantized model's, which differ, and at low budgets spend fewer
// slices than planned (fixture-a: 0.01-0.04 bits under from 2.25 to 3.0 bits). Levelling runs the
// quantized model with each routed entry's thresholds over calibration windows, scores every token's
// router inputs as the runtime does, and sets that entry's level again on those scores.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "format/mbq_writer.h"
#include "runtime/core/status.h"
#include "runtime/model/model.h"
#include "tools/quantizer/calibration/budget_planner.h"

namespace mobiq {

struct LevellingOptions {
  int32_t windows = 4;  // consecutive windows of `window_tokens` from the start of the tokens
  int32_t window_tokens = 512;
  int32_t threads = 0;
  std::function<void(int64_t done, int64_t total)> progress;  // after each entry
};

// `quantized` must carry the routers the table's thresholds are for. `planner`: what the table was
// planned from (its group weights, score offsets and router cost are kept, its samples' scores are
// replaced by the windows'). Updates the thresholds and calibration_bits of every routed entry.
Status level_thresholds(const Model& quantized, std::span<const int32_t> tokens, const PlannerInput& planner,
                        const LevellingOptions& options, std::vector<MbqBudgetEntry>& table);

}  // namespace mobiq
