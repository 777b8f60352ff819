#include "runtime/engine/spend_controller.h"

#include <algorithm>
#include <cmath>

#include "runtime/engine/precision.h"

namespace mobiq {

SpendController::SpendController(ThresholdScale scale, SpendControlOptions options)
    : scale_(std::move(scale)), options_(options), window_(std::max(1, options.cap_window), 0.0) {}

void SpendController::reset(double budget_bits, double router_bits) {
  budget_bits_ = budget_bits;
  router_bits_ = router_bits;
  correction_ = 0.0;
  spend_sum_ = 0.0;
  tokens_ = 0;
  capped_ = false;
  // The least a token can read: earlier tokens count as that, so cap mode holds the first windows.
  std::fill(window_.begin(), window_.end(), kBitsPerSlice + router_bits);
  window_sum_ = (kBitsPerSlice + router_bits) * static_cast<double>(window_.size());
  window_next_ = 0;
}

double SpendController::set_point() const {
  return mode_ == BudgetMode::kCap ? budget_bits_ - options_.cap_margin_bits : budget_bits_;
}

double SpendController::recent_sum(int64_t count) const {
  // The whole window minus its oldest entries.
  const size_t size = window_.size();
  double oldest = 0.0;
  for (size_t i = 0; i < size - static_cast<size_t>(count); ++i) oldest += window_[(window_next_ + i) % size];
  return window_sum_ - oldest;
}

SpendPlan SpendController::plan_for(int64_t tokens, int32_t max_slices) {
  SpendPlan plan;
  plan.max_slices = max_slices;
  plan.threshold_offset = mode_ == BudgetMode::kOpen ? 0.0f : threshold_offset();
  capped_ = false;
  if (mode_ != BudgetMode::kCap || tokens <= 0) return plan;
  // The window ending at this pass's last token keeps W - m earlier tokens; the rest is the pass's.
  const int64_t size = static_cast<int64_t>(window_.size());
  const int64_t m = std::min(tokens, size);
  const double per_token = (budget_bits_ * static_cast<double>(size) - recent_sum(size - m)) / static_cast<double>(m);
  const int32_t slices =
      std::clamp(static_cast<int32_t>(std::floor((per_token - router_bits_) / kBitsPerSlice)), 1, max_slices);
  if (slices < max_slices) {
    plan.max_slices = slices;
    capped_ = true;
  }
  return plan;
}

void SpendController::update(double bits, int64_t tokens) {
  if (tokens <= 0 || !std::isfinite(bits)) return;
  spend_sum_ += bits * static_cast<double>(tokens);
  tokens_ += tokens;
  const int64_t size = static_cast<int64_t>(window_.size());
  for (int64_t i = 0; i < std::min(tokens, size); ++i) {
    window_sum_ += bits - window_[window_next_];
    window_[window_next_] = bits;
    window_next_ = (window_next_ + 1) % window_.size();
  }
  if (mode_ == BudgetMode::kOpen || scale_.empty()) return;
  const double error = set_point() - bits;
  if (capped_ && error > 0.0) return;  // the cap, not the thresholds, held this pass down
  const double gain = 1.0 - std::pow(1.0 - options_.gain, static_cast<double>(tokens));
  const double step = std::clamp(gain * error, -options_.max_step_bits, options_.max_step_bits);
  correction_ = std::clamp(correction_ + step, -options_.max_correction_bits, options_.max_correction_bits);
}

}  // namespace mobiq
