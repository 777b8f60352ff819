// The checks every backend runs on a forward pass before touching the device, so a bad request gets the
// same error, with the same code, whichever backend is asked.
#pragma once

#include <cstdint>
#include <span>

#include "backends/backend.h"

namespace mobiq {

// ok() when `tokens` (at start_position, with `cached` positions filled) fit the executor's options,
// every id is in the vocabulary, an explicit `plan` has one count per token, layer and group, and
// `output` names a destination for what it asks.
Status validate_forward(std::span<const int32_t> tokens, int32_t start_position, int32_t cached,
                        const ExecutorOptions& options, const ModelConfig& config, const SlicePlan& plan,
                        const ForwardOutput& output);

}  // namespace mobiq
