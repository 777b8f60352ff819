// What slice plans cost in quality, measured: the mean KL divergence of a model's next-token
// distributions under each plan from the same model reading every slice, over calibration windows.
// KL is positive on every token, so it resolves effects that a difference of two losses drowns in
// noise. Windows run outermost, so two windows of logits are held at a time whatever the plan count.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "backends/backend.h"
#include "backends/cpu/cpu_executor.h"
#include "runtime/core/result.h"
#include "runtime/model/model.h"

namespace mobiq {

struct DivergenceOptions {
  int32_t windows = 4;        // consecutive windows of `window_tokens` from the start of `tokens`
  int32_t window_tokens = 512;
  int32_t threads = 0;
  std::function<void(int64_t done, int64_t total)> progress;  // after each plan of each window
};

// A CPU executor that takes a whole window of `window_tokens` in one forward pass (the CPU's own type:
// calibration attaches activation observers to it).
Result<std::unique_ptr<cpu::CpuExecutor>> window_executor(const Model& model, int32_t window_tokens, int32_t threads);

// [plans.size()] mean KL(all slices || plan) per predicted token.
Result<std::vector<double>> plan_divergences(const Model& model, std::span<const int32_t> tokens,
                                             std::span<const SlicePlan> plans, const DivergenceOptions& options);

}  // namespace mobiq
