// Bits per weight: what a forward pass read, in the units budgets are given in.
#pragma once

#include <cstdint>
#include <string>

#include "backends/backend.h"
#include "format/model_weights.h"
#include "runtime/core/status.h"

namespace mobiq {

inline constexpr double kBitsPerSlice = 2.0;
inline constexpr double kRouterParameterBits = 16.0;  // routers are stored as f16

// Weights in the model's sliced linears (0 for a dense model).
int64_t sliced_weight_count(const ModelWeights& weights);

// What the routers add to every routed token's bits per weight: 16 bits per router parameter of
// every group, over the sliced weights.
double router_bits_per_token(const ModelWeights& weights, int64_t sliced_weights);

// Average code bits per sliced weight per token, the routers' own parameters counted as if they
// were sliced weights: (2 * slice-weights read + 16 * router parameters run) / (tokens * weights).
double bits_per_weight(const ReadStats& stats, int64_t sliced_weights);

// What was read between two readings of Executor::read_stats().
ReadStats read_between(const ReadStats& before, const ReadStats& after);

// "3.25": a budget for messages.
std::string format_bits(double bits);

// The one range check of a budget, shared by every layer that takes one (SlicePlanner, Session and
// through it the C API and the CLI), so a bad value gets the same code wherever it
// enters: kUnsupported for an unquantized model (max_slices 0), kInvalidArgument for NaN (not a
// number at all), kOutOfRange outside 2.0 .. 2 * max_slices ("budget 9.00 bits outside 2.00..8.00").
Status check_budget_bits(double bits, int32_t max_slices);

}  // namespace mobiq
