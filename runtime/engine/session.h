// A conversation with a model: one sequence, its KV cache on a backend, the precision its next
// tokens run at, and the counters a status line or the C API reports. Everything is allocated at
// create(); feeding and generating allocate nothing per token.
//
// Precision: a budget in average bits per weight of the sliced linears (2 bits per slice, 2.0..8.0,
// routers' own parameters counted). It takes effect at the next token, with no reload. A calibrated
// file's routers pick each token's slices per layer to meet it (runtime/engine/slice_planner.h); without
// routers every linear of a token runs at the budget rounded to whole slices. A slice cap (the planes
// kept resident) bounds every count whatever the budget.
//
// Spend: the routers' thresholds are calibrated on one text, so on another the bits read drift from
// the budget. The session owns a SpendController (runtime/engine/spend_controller.h): after every
// forward pass it is told what the pass read and it moves the thresholds' offset (and, in cap mode,
// the next pass's slice cap) so the spend meets the budget: `average` (default), `cap` or `open`.
//
// Who sets the budget: the caller (set_budget_bits, a fixed budget) or a governor the session owns
// (set_governor, runtime/engine/budget_governor.h): the session asks it after every generated token
// and applies its budget before the next one, residency included, inside generate().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "runtime/engine/budget_governor.h"
#include "runtime/engine/sampler.h"
#include "runtime/engine/slice_planner.h"
#include "runtime/engine/spend_controller.h"
#include "runtime/model/model.h"

namespace mobiq {

struct SessionOptions {
  std::string backend = "auto";  // "cpu", or "auto": the best backend present
  int32_t context_size = 2048;   // positions the KV cache holds
  int32_t max_batch = 512;       // prompt tokens per forward pass
  int32_t n_threads = 0;         // CPU threads; <= 0: one per core
  BudgetMode budget_mode = BudgetMode::kAverage;  // how the routers' spend is held to the budget
};

struct SessionStats {
  int64_t prompt_tokens = 0;       // fed since the last reset_stats()
  int64_t generated_tokens = 0;
  double prompt_seconds = 0.0;
  double generate_seconds = 0.0;
  double bits_per_weight = 0.0;    // bits per sliced weight the last forward pass read, routers counted (16 when dense)
  double average_bits_per_weight = 0.0;  // the same over every token since the last reset_stats()
  int32_t position = 0;            // cache positions filled
  double budget_bits = 0.0;        // the budget in force
  BudgetMode budget_mode = BudgetMode::kAverage;
  double spend_bits = 0.0;         // mean bits per weight read since the budget (or mode) was set
  int64_t spend_tokens = 0;        // tokens that mean is over
  float threshold_offset = 0.0f;   // what the controller adds to every router threshold now
  double prompt_tokens_per_second() const { return prompt_seconds > 0 ? prompt_tokens / prompt_seconds : 0.0; }
  double tokens_per_second() const { return generate_seconds > 0 ? generated_tokens / generate_seconds : 0.0; }
};

// Returns false to stop generating. `piece` is the token's text (bytes; may split a UTF-8 character).
using TokenCallback = std::function<bool(int32_t id, const std::string& piece)>;

struct GenerateResult {
  int64_t tokens = 0;
  bool stopped_at_eos = false;
  bool context_full = false;
};

class Session {
 public:
  // A session on a model already loaded on a backend (shared with other sessions); options.backend
  // is not used.
  static Result<std::unique_ptr<Session>> create(std::shared_ptr<LoadedModel> loaded, const SessionOptions& options);
  // Loads `model` on options.backend for this session alone. `model` must outlive the session.
  static Result<std::unique_ptr<Session>> create(const Model& model, const SessionOptions& options);

  const Model& model() const { return model_; }
  const char* backend_name() const { return loaded_->backend_name(); }
  LoadedModel& loaded_model() { return *loaded_; }

  // A fixed budget, 2.0 .. 2 x max_slices bits per weight: kOutOfRange outside, kInvalidArgument for
  // NaN, kUnsupported on an unquantized model. Every plane becomes resident again and the slice cap
  // is lifted; a governor's control ends. `reason` is what budget_reason() says from now on. Nothing
  // changes on a range error.
  Status set_budget_bits(double bits, std::string reason = "set by the caller");
  double budget_bits() const { return budget_bits_; }
  // Hands the budget to `governor`: its spend mode and its first budget apply now, then generate()
  // asks it after every token. kUnsupported on an unquantized model; nothing changes on an error
  // of the first budget's checks.
  Status set_governor(std::unique_ptr<BudgetGovernor> governor);
  bool governed() const { return governor_ != nullptr; }
  // Why the budget is what it is: the governor's reason, or the fixed budget's.
  const std::string& budget_reason() const { return governor_ ? governor_->reason() : fixed_reason_; }
  // How the budget is met: "routed, thresholds of the 3.00-bit entry", "uniform 2 slices (...)".
  const std::string& plan_description() const { return choice_.description(); }
  // How the spend is held to the budget; restarts the controller at the current budget.
  void set_budget_mode(BudgetMode mode);
  BudgetMode budget_mode() const { return spend_.mode(); }
  // Caps every token's slice count (1 .. model().max_slices()): at most the planes kept resident.
  Status set_slice_cap(int32_t slices);
  int32_t slice_cap() const { return slice_cap_; }

  // Appends tokens to the sequence (a prompt); the logits of the last one become last_logits().
  Status feed(std::span<const int32_t> tokens);
  // Samples from last_logits() until EOS, `max_tokens` (< 0: no limit), a full context or the
  // callback returning false; each sampled token is fed before the callback returns. Under a
  // governor, its budget for the next token is applied after the callback.
  Result<GenerateResult> generate(int32_t max_tokens, Sampler& sampler, const TokenCallback& on_token);
  const std::vector<float>& last_logits() const { return logits_; }

  // Forgets the sequence (the cache), keeps precision and counters.
  void reset();
  void reset_stats();
  SessionStats stats() const;

 private:
  Session(std::shared_ptr<LoadedModel> loaded, std::unique_ptr<Executor> executor);
  // The chosen plan with the slice cap, handed to the executor.
  Status apply_plan(const OwnedSlicePlan& choice, int32_t slice_cap);
  // The controller starts over at the current budget.
  void reset_spend();
  // Applies a governor's budget, bounded by the model's planes: residency raised before the bits
  // that need it and lowered after, the slice cap following the planes.
  Status apply_governed(Budget budget);
  // Sets the budget's bits without touching the governor, residency or the cap.
  Status set_bits(double bits);
  Status forward(std::span<const int32_t> tokens);

  std::shared_ptr<LoadedModel> loaded_;
  const Model& model_;
  std::unique_ptr<Executor> executor_;
  SlicePlanner planner_;
  double budget_bits_ = 8.0;
  OwnedSlicePlan choice_;
  SlicePlan plan_;  // what the executor runs: choice_'s plan, the slice cap and the controller's offset
  int32_t slice_cap_ = 4;
  SpendController spend_;
  std::unique_ptr<BudgetGovernor> governor_;  // null while the budget is fixed
  int64_t governed_tokens_ = 0;               // generated since the governor was set
  int64_t sliced_weights_ = 0;  // weights in the model's sliced linears, for bits per weight
  std::string fixed_reason_;    // why the fixed budget is what it is
  std::vector<float> logits_;  // [vocab] of the last token fed
  SessionStats stats_;
  ReadStats read_at_reset_;  // the executor's totals at the last reset_stats()
};

}  // namespace mobiq
