#include "runtime/core/solo_policy.h"

#include <algorithm>

namespace mobiq {

void SoloPolicy::record(Clock::time_point now, Clock::duration work, Clock::duration wait, int64_t own,
                        int64_t chunks) {
  if (wait > std::max(work, kStallFloor)) {
    back_off(now);
    return;
  }
  chunks_ += chunks;
  helped_ += chunks - own;
  if (++jobs_ < kWindow) return;
  // Fair share of the workers: (threads - 1) / threads of the chunks; starved under half of that.
  const bool starved = 2 * threads_ * helped_ < (threads_ - 1) * chunks_;
  if (starved) {
    back_off(now);
  } else {
    solo_for_ = std::max(kMinSolo, solo_for_ / 2);
    jobs_ = 0;
    chunks_ = helped_ = 0;
  }
}

void SoloPolicy::back_off(Clock::time_point now) {
  solo_until_ = now + solo_for_;
  solo_for_ = std::min(kMaxSolo, solo_for_ * 2);
  jobs_ = 0;
  chunks_ = helped_ = 0;
}

}  // namespace mobiq
