#include "runtime/engine/generator.h"

#include <algorithm>
#include <chrono>

namespace mobiq {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool is_eos(const ModelConfig& config, int32_t id) {
  return std::find(config.eos_ids.begin(), config.eos_ids.end(), id) != config.eos_ids.end();
}

}  // namespace

Result<GenerateStats> generate(Executor& executor, const Model& model, const std::vector<int32_t>& prompt,
                               const GenerateOptions& options, const TokenCallback& on_token) {
  if (prompt.empty()) return invalid_argument("generate: empty prompt");
  const int32_t vocab = model.config().vocab_size;
  std::vector<float> logits(vocab);
  GenerateStats stats;

  auto started = std::chrono::steady_clock::now();
  for (size_t begin = 0; begin < prompt.size(); begin += executor.max_batch()) {
    const size_t n = std::min<size_t>(executor.max_batch(), prompt.size() - begin);
    ForwardRequest request;
    request.tokens = std::span<const int32_t>(prompt.data() + begin, n);
    request.start_position = executor.cached_positions();
    request.slices = options.slices;
    MOBIQ_RETURN_IF_ERROR(executor.forward(request, logits.data()));
  }
  stats.prompt_tokens = static_cast<int64_t>(prompt.size());
  stats.prompt_seconds = seconds_since(started);

  Sampler sampler(options.sampling);
  started = std::chrono::steady_clock::now();
  for (int32_t i = 0; options.n_predict < 0 || i < options.n_predict; ++i) {
    const int32_t next = sampler.sample(logits.data(), vocab);
    if (is_eos(model.config(), next)) {
      stats.stopped_at_eos = true;
      break;
    }
    ++stats.generated_tokens;
    if (!on_token(next, model.tokenizer().token_to_piece(next))) break;
    if (executor.cached_positions() >= executor.context_size()) break;
    ForwardRequest request;
    request.tokens = std::span<const int32_t>(&next, 1);
    request.start_position = executor.cached_positions();
    request.slices = options.slices;
    MOBIQ_RETURN_IF_ERROR(executor.forward(request, logits.data()));
  }
  stats.generate_seconds = seconds_since(started);
  return stats;
}

}  // namespace mobiq
