#include "runtime/engine/session.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <new>
#include <optional>
#include <string>

#include "backends/registry.h"
#include "runtime/engine/precision.h"

namespace mobiq {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Result<std::unique_ptr<Session>> Session::create(std::shared_ptr<LoadedModel> loaded, const SessionOptions& options) {
  if (loaded == nullptr) return invalid_argument("session: no loaded model");
  ExecutorOptions executor_options;
  executor_options.context_size = options.context_size;
  executor_options.max_batch = options.max_batch;
  executor_options.n_threads = options.n_threads;
  MOBIQ_ASSIGN_OR_RETURN(std::unique_ptr<Executor> executor, loaded->create_executor(executor_options));
  std::unique_ptr<Session> session;
  try {
    session.reset(new Session(std::move(loaded), std::move(executor)));
    session->spend_.set_mode(options.budget_mode);
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kOutOfMemory, "cannot allocate the session's logits");
  }
  if (session->model_.max_slices() > 0) {
    // The highest budget: every slice, no routing (cannot fail for the model's own maximum).
    MOBIQ_ASSIGN_OR_RETURN(OwnedSlicePlan full, session->planner_.choose(session->budget_bits_, Routing::kRouted));
    MOBIQ_RETURN_IF_ERROR(session->apply_plan(full, session->slice_cap_));
    session->choice_ = std::move(full);
    session->reset_spend();
  }
  return session;
}

Result<std::unique_ptr<Session>> Session::create(const Model& model, const SessionOptions& options) {
  MOBIQ_ASSIGN_OR_RETURN(std::shared_ptr<LoadedModel> loaded, load_model(options.backend, model));
  return create(std::move(loaded), options);
}

Session::Session(std::shared_ptr<LoadedModel> loaded, std::unique_ptr<Executor> executor)
    : loaded_(std::move(loaded)),
      model_(loaded_->model()),
      executor_(std::move(executor)),
      planner_(model_.weights(), model_.max_slices()),
      budget_bits_(model_.max_slices() > 0 ? 2.0 * model_.max_slices() : 16.0),
      slice_cap_(std::max(1, model_.max_slices())),
      spend_(ThresholdScale(model_.weights().budget_table)),
      sliced_weights_(sliced_weight_count(model_.weights())),
      fixed_reason_(model_.max_slices() > 0 ? "every slice plane (the default)" : "unquantized model"),
      logits_(model_.config().vocab_size) {
  stats_.bits_per_weight = budget_bits_;
}

Status Session::apply_plan(const OwnedSlicePlan& choice, int32_t slice_cap) {
  SlicePlan plan = choice.plan();
  plan.max_slices = slice_cap;
  plan.threshold_offset = plan_.threshold_offset;
  MOBIQ_RETURN_IF_ERROR(executor_->set_plan(plan));
  plan_ = std::move(plan);
  return Status::Ok();
}

void Session::reset_spend() {
  const bool routed = choice_.plan().mode == SlicePlan::Mode::kRouted;
  spend_.reset(budget_bits_, routed ? router_bits_per_token(model_.weights(), sliced_weights_) : 0.0);
}

void Session::set_budget_mode(BudgetMode mode) {
  spend_.set_mode(mode);
  reset_spend();
}

Status Session::set_bits(double bits) {
  MOBIQ_ASSIGN_OR_RETURN(OwnedSlicePlan choice, planner_.choose(bits, Routing::kRouted));
  MOBIQ_RETURN_IF_ERROR(apply_plan(choice, slice_cap_));
  choice_ = std::move(choice);
  budget_bits_ = bits;
  reset_spend();
  return Status::Ok();
}

Status Session::set_budget_bits(double bits, std::string reason) {
  MOBIQ_RETURN_IF_ERROR(check_budget_bits(bits, model_.max_slices()));
  // A governor may have given planes back: every plane is resident again and the cap lifted, so a
  // fixed budget is met whatever it is.
  const int32_t planes = model_.max_slices();
  if (!model_.plane_regions()[0].empty()) MOBIQ_RETURN_IF_ERROR(loaded_->set_resident_planes(planes));
  MOBIQ_RETURN_IF_ERROR(set_slice_cap(planes));
  MOBIQ_RETURN_IF_ERROR(set_bits(bits));
  governor_.reset();
  fixed_reason_ = std::move(reason);
  return Status::Ok();
}

Status Session::set_governor(std::unique_ptr<BudgetGovernor> governor) {
  if (governor == nullptr) return invalid_argument("set_governor: no governor");
  if (model_.max_slices() == 0) return unsupported("an unquantized model has no precision budget");
  const std::optional<Budget> first =
      governor->decide(GovernorReading{0, stats_.tokens_per_second(), spend_.spend_bits()});
  if (!first) return internal_error("the budget governor gave no budget when it was set");
  MOBIQ_RETURN_IF_ERROR(apply_governed(*first));
  // After the budget, so a budget refused leaves the mode too; the controller restarts either way.
  if (const std::optional<BudgetMode> mode = governor->budget_mode()) set_budget_mode(*mode);
  governor_ = std::move(governor);
  governed_tokens_ = 0;
  return Status::Ok();
}

Status Session::apply_governed(Budget budget) {
  const int32_t planes = std::clamp(budget.resident_planes, 1, model_.max_slices());
  const double bits = std::clamp(budget.bits, kMinBudgetBits, 2.0 * planes);
  MOBIQ_RETURN_IF_ERROR(check_budget_bits(bits, model_.max_slices()));  // NaN passes the clamp
  // Raise residency before the bits that need it; lower it after the bits that no longer do. The
  // slice cap follows the planes, so no token reads a plane that is being given back. A model whose
  // planes are not in a file mapping (built in memory) has no pages to give back: only the cap applies.
  const bool mapped = !model_.plane_regions()[0].empty();
  if (mapped && planes > loaded_->resident_planes()) MOBIQ_RETURN_IF_ERROR(loaded_->set_resident_planes(planes));
  MOBIQ_RETURN_IF_ERROR(set_slice_cap(planes));
  MOBIQ_RETURN_IF_ERROR(set_bits(bits));
  if (mapped && planes < loaded_->resident_planes()) MOBIQ_RETURN_IF_ERROR(loaded_->set_resident_planes(planes));
  return Status::Ok();
}

Status Session::set_slice_cap(int32_t slices) {
  if (model_.max_slices() == 0) return unsupported("an unquantized model has no slices to cap");
  if (slices < 1 || slices > model_.max_slices())
    return out_of_range("slice cap " + std::to_string(slices) + " outside 1.." + std::to_string(model_.max_slices()));
  MOBIQ_RETURN_IF_ERROR(apply_plan(choice_, slices));
  slice_cap_ = slices;
  return Status::Ok();
}

Status Session::forward(std::span<const int32_t> tokens) {
  const bool sliced = model_.max_slices() > 0;
  if (sliced) {
    const int64_t n = static_cast<int64_t>(tokens.size());
    const SpendPlan next = spend_.plan_for(n, slice_cap_);
    if (next.threshold_offset != plan_.threshold_offset || next.max_slices != plan_.max_slices) {
      plan_.threshold_offset = next.threshold_offset;
      plan_.max_slices = next.max_slices;
      MOBIQ_RETURN_IF_ERROR(executor_->set_plan(plan_));
    }
  }
  const ReadStats before = executor_->read_stats();
  ForwardOutput output;
  output.kind = ForwardOutput::Kind::kLastLogits;
  output.logits = logits_.data();
  MOBIQ_RETURN_IF_ERROR(executor_->forward(tokens, executor_->cached_positions(), output));
  const ReadStats after = executor_->read_stats();
  stats_.bits_per_weight = sliced ? bits_per_weight(read_between(before, after), sliced_weights_) : 16.0;
  stats_.average_bits_per_weight = sliced ? bits_per_weight(read_between(read_at_reset_, after), sliced_weights_) : 16.0;
  if (sliced) spend_.update(stats_.bits_per_weight, static_cast<int64_t>(tokens.size()));
  return Status::Ok();
}

Status Session::feed(std::span<const int32_t> tokens) {
  if (tokens.empty()) return invalid_argument("feed: no tokens");
  if (executor_->cached_positions() + static_cast<int64_t>(tokens.size()) > executor_->context_size())
    return out_of_range("feed: " + std::to_string(tokens.size()) + " tokens do not fit the " +
                        std::to_string(executor_->context_size() - executor_->cached_positions()) +
                        " positions left in the context");
  const auto started = std::chrono::steady_clock::now();
  for (size_t begin = 0; begin < tokens.size(); begin += executor_->max_batch()) {
    const size_t n = std::min<size_t>(executor_->max_batch(), tokens.size() - begin);
    MOBIQ_RETURN_IF_ERROR(forward(tokens.subspan(begin, n)));
  }
  stats_.prompt_tokens += static_cast<int64_t>(tokens.size());
  stats_.prompt_seconds += seconds_since(started);
  return Status::Ok();
}

Result<GenerateResult> Session::generate(int32_t max_tokens, Sampler& sampler, const TokenCallback& on_token) {
  if (executor_->cached_positions() == 0) return invalid_argument("generate: feed a prompt first");
  const ModelConfig& config = model_.config();
  GenerateResult result;
  const auto started = std::chrono::steady_clock::now();
  while (max_tokens < 0 || result.tokens < max_tokens) {
    if (executor_->cached_positions() >= executor_->context_size()) {
      result.context_full = true;
      break;
    }
    const int32_t next = sampler.sample(logits_.data(), config.vocab_size);
    if (std::find(config.eos_ids.begin(), config.eos_ids.end(), next) != config.eos_ids.end()) {
      result.stopped_at_eos = true;
      break;
    }
    MOBIQ_RETURN_IF_ERROR(forward(std::span<const int32_t>(&next, 1)));
    ++result.tokens;
    ++stats_.generated_tokens;
    if (!on_token(next, model_.tokenizer().token_to_piece(next))) break;
    if (governor_ != nullptr) {
      ++governed_tokens_;
      // The decode speed since reset_stats(), this call's time included.
      const double seconds = stats_.generate_seconds + seconds_since(started);
      const GovernorReading reading{governed_tokens_, seconds > 0 ? stats_.generated_tokens / seconds : 0.0,
                                    spend_.spend_bits()};
      if (const std::optional<Budget> budget = governor_->decide(reading))
        MOBIQ_RETURN_IF_ERROR(apply_governed(*budget).with_context("budget governor"));
    }
  }
  stats_.generate_seconds += seconds_since(started);
  return result;
}

void Session::reset() {
  // truncate(0) cannot fail for a non-negative position.
  (void)executor_->truncate(0);
}

void Session::reset_stats() {
  const double bits = stats_.bits_per_weight;
  read_at_reset_ = executor_->read_stats();
  stats_ = {};
  stats_.bits_per_weight = bits;
}

SessionStats Session::stats() const {
  SessionStats s = stats_;
  s.position = executor_->cached_positions();
  s.budget_bits = budget_bits_;
  s.budget_mode = spend_.mode();
  s.spend_bits = spend_.spend_bits();
  s.spend_tokens = spend_.tokens();
  s.threshold_offset = plan_.threshold_offset;
  return s;
}

}  // namespace mobiq
