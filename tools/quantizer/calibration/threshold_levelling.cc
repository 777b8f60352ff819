#include "tools/quantizer/calibration/threshold_levelling.h"

#include <algorithm>
#include <memory>

#include "backends/cpu/ops/router.h"
#include "tools/quantizer/calibration/plan_divergence.h"

namespace mobiq {
namespace {

// Every token's router scores, as the runtime's routers compute them during a forward pass:
// scores [window tokens][groups][kResidualPlanes] for the window being run.
class RouterScoreRecorder final : public ActivationObserver {
 public:
  RouterScoreRecorder(const ModelWeights& weights, int64_t window_tokens)
      : weights_(weights), groups_(static_cast<int64_t>(weights.layers.size()) * kLinearGroups),
        scores_(window_tokens * groups_ * kResidualPlanes) {}

  void observe(int layer, LinearGroup group, const float* x, int64_t n, int64_t) override {
    const RouterWeights& router = weights_.layers[layer].routers[static_cast<int>(group)];
    hidden_.resize(router.hidden);
    group_scores_.resize(n * kResidualPlanes);
    cpu::router_scores(router, x, n, hidden_.data(), group_scores_.data());
    const int64_t g = static_cast<int64_t>(layer) * kLinearGroups + static_cast<int>(group);
    for (int64_t t = 0; t < n; ++t)
      std::copy_n(group_scores_.data() + t * kResidualPlanes, kResidualPlanes,
                  scores_.data() + (t * groups_ + g) * kResidualPlanes);
  }
  const std::vector<float>& scores() const { return scores_; }

 private:
  const ModelWeights& weights_;
  int64_t groups_;
  std::vector<float> scores_, hidden_, group_scores_;
};

}  // namespace

Status level_thresholds(const Model& quantized, std::span<const int32_t> tokens, const PlannerInput& planner,
                        const LevellingOptions& o, std::vector<MbqBudgetEntry>& table) {
  const int32_t windows = std::min<int32_t>(o.windows, static_cast<int32_t>(tokens.size() / o.window_tokens));
  if (windows < 1) return invalid_argument("threshold levelling needs at least one window of tokens");
  for (const LayerWeights& layer : quantized.weights().layers)
    for (const RouterWeights& router : layer.routers)
      if (!router.present()) return invalid_argument("threshold levelling needs a model with its routers");
  MOBIQ_ASSIGN_OR_RETURN(std::unique_ptr<Executor> executor, window_executor(quantized, o.window_tokens, o.threads));
  const int64_t groups = static_cast<int64_t>(quantized.config().n_layers) * kLinearGroups;
  const int64_t per_window = static_cast<int64_t>(o.window_tokens) * groups * kResidualPlanes;
  RouterScoreRecorder recorder(quantized.weights(), o.window_tokens);
  std::vector<float> logits(quantized.config().vocab_size);
  PlannerInput seen = planner;  // the same planner on the tokens the quantized model routed
  seen.samples = static_cast<int64_t>(windows) * o.window_tokens;
  seen.scores.resize(seen.samples * groups * kResidualPlanes);
  for (size_t i = 0; i < table.size(); ++i) {
    MbqBudgetEntry& e = table[i];
    if (e.thresholds.empty()) continue;
    for (int32_t w = 0; w < windows; ++w) {
      ForwardRequest request;
      request.tokens = tokens.subspan(static_cast<size_t>(w) * o.window_tokens, o.window_tokens);
      request.plan.mode = SlicePlan::Mode::kRouted;
      request.plan.thresholds = e.thresholds;
      request.observer = &recorder;
      MOBIQ_RETURN_IF_ERROR(executor->truncate(0));
      MOBIQ_RETURN_IF_ERROR(executor->forward(request, logits.data()));
      std::copy(recorder.scores().begin(), recorder.scores().end(), seen.scores.begin() + w * per_window);
    }
    RoutedLevel level = routed_level(seen, e.budget_bits);
    e.thresholds = std::move(level.thresholds);
    e.calibration_bits = static_cast<float>(level.bits);
    if (o.progress) o.progress(static_cast<int64_t>(i) + 1, static_cast<int64_t>(table.size()));
  }
  return Status::Ok();
}

}  // namespace mobiq
