// Closed-loop control of the routers' spend. A budget table is calibrated on one text; on another the
// same thresholds read more or fewer slices (issue 15: 3.24 bits for a 3.0-bit budget). After every
// forward pass the controller is told the bits per weight the pass actually read (routers included)
// and sets the offset the next pass adds to every router threshold, so the spend converges to the
// budget on any text.
//
// The rule (docs/2026-12-02-spend-control.md has the measurements behind the numbers):
//   - The controller's state is a correction c in bits: the plan runs the thresholds the table gives
//     budget + c (ThresholdScale turns c into the score-unit offset with the table's own slope, so the
//     loop gain is about 1 bit per bit on any model, whatever its score units).
//   - Integral action on every token's error: c += g (set point - spend). A pass of n tokens at mean
//     spend s counts as n tokens each at s: c += (1 - (1 - g)^n)(set point - s), exactly what n
//     one-token steps would do on a steady error, so a 512-token prefill never moves c by more than
//     the error itself (no overshoot) while a token-by-token decode gets time constant 1/g tokens.
//     The integrator is itself the averaging filter: a single noisy token moves c by g times its
//     error. No proportional term: the plant (spend against offset) has no dynamics of its own, only
//     the one-pass delay, so an integrator with g << 1 converges monotonically without oscillation.
//   - Bounded steps: one pass moves c by at most max_step_bits. Anti-windup: c stays within
//     +-max_correction_bits, so a text that cannot reach the budget (every slice already read) does
//     not wind c up without limit for later. (Not the table's 2..8 bits: on a text that reads more
//     than the calibration text, holding 2.5 bits can need the thresholds of a nominal 2.1.)
// Modes:
//   average  the set point is the budget: the mean since the budget was set converges to it (the
//            error integral is bounded by c / g, so the mean's error falls as 1/tokens).
//   cap      no window of cap_window tokens may spend more than the budget. The set point is
//            cap_margin_bits below it, and before every pass the slice count is capped so that even a
//            pass reading every slice it is allowed cannot push the window ending at its last token
//            over: the trailing window's remaining allowance (W * budget minus the last W - n tokens)
//            divided by n gives the most a token may read, 2 bits per slice plus the routers. Tokens
//            before the budget was set count as reading one slice (the least a token can), so the
//            first windows are held too. While the cap binds the correction does not rise (anti-windup).
//   open     the table's thresholds as calibrated (offset 0): for experiments; spend is still measured.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/core/budget_mode.h"
#include "runtime/engine/threshold_scale.h"

namespace mobiq {

struct SpendControlOptions {
  double gain = 0.05;               // g per token: an error decays by e in 1/g = 20 tokens
  double max_step_bits = 0.25;      // most one pass moves the correction
  double max_correction_bits = 2.0; // anti-windup bound on |correction|
  int32_t cap_window = 128;         // W: cap mode's window in tokens
  double cap_margin_bits = 0.1;     // cap mode's set point below the budget
};

// What the next pass runs with.
struct SpendPlan {
  float threshold_offset = 0.0f;  // added to every router threshold
  int32_t max_slices = 4;         // cap on every token's slices (kMaxPlanes when not limiting)
};

class SpendController {
 public:
  SpendController(ThresholdScale scale, SpendControlOptions options = {});

  // A new budget, or a new mode: the correction, the mean and cap mode's window start over.
  // `router_bits`: what the routers add to every token's spend under the plan now in force (0 when it
  // is not routed).
  void reset(double budget_bits, double router_bits);
  void set_mode(BudgetMode mode) { mode_ = mode; }
  BudgetMode mode() const { return mode_; }

  // The plan for the next pass of `tokens` tokens whose slices are capped at `max_slices` already;
  // remembers whether cap mode's limit binds.
  SpendPlan plan_for(int64_t tokens, int32_t max_slices);
  // After the pass: it read `bits` per weight on average over `tokens` tokens.
  void update(double bits, int64_t tokens);

  double budget_bits() const { return budget_bits_; }
  double correction_bits() const { return correction_; }
  float threshold_offset() const { return scale_.offset(budget_bits_, correction_); }
  // Mean spend and tokens since the last reset (0 before any token).
  double spend_bits() const { return tokens_ > 0 ? spend_sum_ / static_cast<double>(tokens_) : 0.0; }
  int64_t tokens() const { return tokens_; }

 private:
  double set_point() const;
  // Sum of the `count` most recent per-token spends in the cap window.
  double recent_sum(int64_t count) const;

  ThresholdScale scale_;
  SpendControlOptions options_;
  BudgetMode mode_ = BudgetMode::kAverage;
  double budget_bits_ = 8.0;
  double router_bits_ = 0.0;
  double correction_ = 0.0;
  double spend_sum_ = 0.0;
  int64_t tokens_ = 0;
  bool capped_ = false;          // the last plan_for() lowered max_slices below what the plan allows
  std::vector<double> window_;   // cap mode: the last W per-token spends, a ring
  size_t window_next_ = 0;       // where the next token's spend goes (the oldest entry)
  double window_sum_ = 0.0;
};

}  // namespace mobiq
