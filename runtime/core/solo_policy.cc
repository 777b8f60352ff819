#include "runtime/core/solo_policy.h"

#include <algorithm>

namespace mobiq {

void SoloPolicy::record(Clock::time_point now, const Job& job) {
  if (job.wait > std::max(job.work, kStallFloor)) {
    back_off(now);
    return;
  }
  const auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  parallel_ += seconds(job.setup + job.work + job.wait);
  alone_ += seconds(job.work) * static_cast<double>(job.chunks) / static_cast<double>(std::max<int64_t>(job.own, 1));
  if (++jobs_ < kWindow) return;
  if (alone_ < kMinGain * parallel_) {
    back_off(now);
  } else {
    solo_for_ = std::max(kMinSolo, solo_for_ / 2);
    jobs_ = 0;
    parallel_ = alone_ = 0;
  }
}

void SoloPolicy::back_off(Clock::time_point now) {
  solo_until_ = now + solo_for_;
  solo_for_ = std::min(kMaxSolo, solo_for_ * 2);
  jobs_ = 0;
  parallel_ = alone_ = 0;
}

}  // namespace mobiq
