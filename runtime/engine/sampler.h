// Picks the next token from logits: greedy, or temperature + top-k + top-p with a seeded RNG.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace mobiq {

struct SamplingParams {
  float temperature = 0.8f;  // <= 0: greedy (argmax)
  int32_t top_k = 40;        // <= 0: whole vocabulary
  float top_p = 0.95f;       // >= 1: no nucleus cut
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);
  // logits: [vocab]. Deterministic for a given seed and sequence of calls.
  int32_t sample(const float* logits, int32_t vocab);

 private:
  SamplingParams params_;
  std::mt19937_64 rng_;
  std::vector<std::pair<float, int32_t>> candidates_;  // (logit or probability, id), reused per call
};

}  // namespace mobiq
