// Prompt in, tokens out: feeds a prompt in batches, then samples one token at a time, streaming
// each token's text to a callback that can stop the generation.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "runtime/engine/sampler.h"
#include "runtime/model/model.h"

namespace mobiq {

struct GenerateOptions {
  int32_t n_predict = 128;  // most tokens to generate; < 0: until EOS or the context is full
  int32_t slices = 4;
  SamplingParams sampling;
};

struct GenerateStats {
  int64_t prompt_tokens = 0;
  int64_t generated_tokens = 0;
  double prompt_seconds = 0.0;
  double generate_seconds = 0.0;
  bool stopped_at_eos = false;
  double prompt_tokens_per_second() const { return prompt_seconds > 0 ? prompt_tokens / prompt_seconds : 0.0; }
  double tokens_per_second() const { return generate_seconds > 0 ? generated_tokens / generate_seconds : 0.0; }
};

// Returns false to stop generating. `piece` is the token's text (bytes; may split a UTF-8 character).
using TokenCallback = std::function<bool(int32_t id, const std::string& piece)>;

// Continues the executor's sequence: `prompt` is appended after what the cache already holds.
Result<GenerateStats> generate(Executor& executor, const Model& model, const std::vector<int32_t>& prompt,
                               const GenerateOptions& options, const TokenCallback& on_token);

}  // namespace mobiq
