#include "backends/forward_checks.h"

#include <string>

namespace mobiq {

Status validate_forward(std::span<const int32_t> tokens, int32_t start_position, int32_t cached,
                        const ExecutorOptions& options, const ModelConfig& config, const SlicePlan& plan,
                        const ForwardOutput& output) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n == 0) return invalid_argument("forward: no tokens");
  if (n > options.max_batch)
    return invalid_argument("forward: " + std::to_string(n) + " tokens exceed the batch limit of " +
                            std::to_string(options.max_batch));
  if (start_position < 0 || start_position > cached)
    return invalid_argument("forward: start position " + std::to_string(start_position) +
                            " is not within the " + std::to_string(cached) + " cached positions");
  if (start_position + n > options.context_size)
    return out_of_range("forward: context full (" + std::to_string(start_position + n) + " > " +
                        std::to_string(options.context_size) + " positions)");
  const size_t per_token = static_cast<size_t>(config.n_layers) * kLinearGroups;
  if (plan.mode == SlicePlan::Mode::kExplicit && plan.explicit_slices.size() != n * per_token)
    return invalid_argument("forward: explicit plan has " + std::to_string(plan.explicit_slices.size()) +
                            " counts, needs " + std::to_string(n * per_token) + " for " + std::to_string(n) +
                            " tokens");
  switch (output.kind) {
    case ForwardOutput::Kind::kNone: break;
    case ForwardOutput::Kind::kLastLogits:
    case ForwardOutput::Kind::kAllLogits:
      if (output.logits == nullptr) return invalid_argument("forward: logits requested without a buffer");
      break;
    case ForwardOutput::Kind::kArgmax:
      if (output.argmax == nullptr) return invalid_argument("forward: argmax requested without a destination");
      break;
  }
  for (int32_t id : tokens)
    if (id < 0 || id >= config.vocab_size)
      return out_of_range("forward: token id " + std::to_string(id) + " outside the vocabulary of " +
                          std::to_string(config.vocab_size));
  return Status::Ok();
}

}  // namespace mobiq
