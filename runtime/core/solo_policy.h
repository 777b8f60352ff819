// When a ThreadPool should run jobs on the calling thread alone.
//
// Helping threads only pay when they run at the same time as the caller. On a core shared with
// another busy process (a phone's background work, other jobs on a build machine) a worker is
// descheduled for whole time slices: if it holds a chunk then, the caller waits milliseconds for a
// job that takes microseconds, and even when it does not, a worker that gets little CPU takes few
// chunks while every chunk still pays for its shared counters. The pool reports each parallel job
// here and runs alone while this says so:
//   - a stall: the caller waited for the last chunks longer than it worked (and > kStallFloor), so
//     the job would have been done sooner alone;
//   - no gain: over kWindow jobs the wall time of the parallel jobs (waking the workers included)
//     was not kMinGain times shorter than the caller alone would have taken, estimated job by job as
//     its time per chunk times all the chunks: a worker that got little CPU ran few chunks. (A
//     worker that slows the caller's chunks, sharing its memory bandwidth, inflates the estimate
//     too and goes unseen.)
// Either starts a solo period, kMinSolo at first and doubled by each further failure up to kMaxSolo,
// after which the pool tries its workers again; a window without failure halves the period back.
// So a lasting busy core costs a probe (about one stall) every kMaxSolo, and a core that frees up is
// used again within at most kMaxSolo.
#pragma once

#include <chrono>
#include <cstdint>

namespace mobiq {

class SoloPolicy {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr Clock::duration kStallFloor = std::chrono::microseconds(50);
  static constexpr Clock::duration kMinSolo = std::chrono::milliseconds(2);
  static constexpr Clock::duration kMaxSolo = std::chrono::milliseconds(256);
  static constexpr int kWindow = 64;
  static constexpr double kMinGain = 1.1;

  // One parallel job: `setup` publishing it and waking the workers, then the caller ran `own` of its
  // `chunks` chunks in `work` and waited `wait` for the workers' last ones.
  struct Job {
    Clock::duration setup, work, wait;
    int64_t own, chunks;
  };

  // Whether a job starting at `now` should run on the caller alone.
  bool solo(Clock::time_point now) const { return now < solo_until_; }
  // A parallel job that ended at `now`.
  void record(Clock::time_point now, const Job& job);
  Clock::duration solo_period() const { return solo_for_; }

 private:
  void back_off(Clock::time_point now);

  Clock::time_point solo_until_{};
  Clock::duration solo_for_ = kMinSolo;  // the next solo period
  int jobs_ = 0;                         // in the current window
  double parallel_ = 0, alone_ = 0;      // in the current window: seconds taken, and estimated alone
};

}  // namespace mobiq
