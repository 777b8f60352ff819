// ThreadPool: every item exactly once, per-worker indices, and the solo fallback (SoloPolicy) both
// on its own (synthetic times, deterministic) and through a pool whose worker is made to stall.
#include "runtime/core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace mobiq {
namespace {

using namespace std::chrono_literals;
using Clock = SoloPolicy::Clock;

TEST(ThreadPool, CoversEveryItemOnceWithDistinctWorkerIndices) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (int64_t n : {1, 7, 64, 1000})
      for (int64_t grain : {1, 3, 64, 5000}) {
        std::vector<std::atomic<int>> seen(n);
        std::atomic<int> bad_worker{0};
        pool.parallel_for(n, grain, [&](int64_t b, int64_t e, int worker) {
          if (worker < 0 || worker >= pool.size()) ++bad_worker;
          for (int64_t i = b; i < e; ++i) ++seen[i];
        });
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(seen[i].load(), 1) << threads << " threads, n " << n << ", grain " << grain;
        EXPECT_EQ(bad_worker.load(), 0);
      }
  }
}

TEST(SoloPolicy, AStallStartsASoloPeriodThatDoublesAndEnds) {
  SoloPolicy p(2);
  Clock::time_point now{};
  EXPECT_FALSE(p.solo(now));
  // Waited 1 ms for the last chunk after 100 us of work: a stall.
  p.record(now, 100us, 1ms, 5, 10);
  EXPECT_TRUE(p.solo(now));
  EXPECT_TRUE(p.solo(now + SoloPolicy::kMinSolo - 1us));
  EXPECT_FALSE(p.solo(now + SoloPolicy::kMinSolo));
  now += SoloPolicy::kMinSolo;
  p.record(now, 100us, 1ms, 5, 10);  // the probe stalls again: twice as long
  EXPECT_TRUE(p.solo(now + 2 * SoloPolicy::kMinSolo - 1us));
  EXPECT_FALSE(p.solo(now + 2 * SoloPolicy::kMinSolo));
  for (int i = 0; i < 20; ++i) p.record(now, 100us, 1ms, 5, 10);
  EXPECT_EQ(p.solo_period(), SoloPolicy::kMaxSolo);
}

TEST(SoloPolicy, ShortWaitsAreNotStalls) {
  SoloPolicy p(2);
  // Waits under the work time, or under the floor however short the work: parallel stays on.
  for (int i = 0; i < 3 * SoloPolicy::kWindow; ++i) {
    p.record(Clock::time_point{}, 200us, 150us, 5, 10);
    p.record(Clock::time_point{}, 1us, SoloPolicy::kStallFloor, 5, 10);
  }
  EXPECT_FALSE(p.solo(Clock::time_point{}));
}

TEST(SoloPolicy, StarvedHelpersStartASoloPeriodAndHealthyWindowsShortenIt) {
  SoloPolicy p(2);
  Clock::time_point now{};
  // The worker ran 2 of every 10 chunks: under half its fair share (5 of 10) after a full window.
  for (int i = 0; i < SoloPolicy::kWindow - 1; ++i) p.record(now, 100us, 10us, 8, 10);
  EXPECT_FALSE(p.solo(now));
  p.record(now, 100us, 10us, 8, 10);
  EXPECT_TRUE(p.solo(now));
  EXPECT_EQ(p.solo_period(), 2 * SoloPolicy::kMinSolo);
  // 3 of 10 is above that bound: a healthy window halves the next period again.
  now += SoloPolicy::kMinSolo;
  for (int i = 0; i < SoloPolicy::kWindow; ++i) p.record(now, 100us, 10us, 7, 10);
  EXPECT_FALSE(p.solo(now));
  EXPECT_EQ(p.solo_period(), SoloPolicy::kMinSolo);
}

// A worker that sleeps 200 ms inside its chunk (as if descheduled) while the caller's chunk only
// waits for it to start: the pool reports the stall to its SoloPolicy, whose next period doubles.
// (Whether the next job then runs alone depends on it starting within kMinSolo, which a loaded test
// machine does not promise; SoloPolicy's tests above cover the periods.)
TEST(ThreadPool, AStalledWorkerIsReportedToTheSoloPolicy) {
  ThreadPool pool(2);
  ASSERT_EQ(pool.solo_policy().solo_period(), SoloPolicy::kMinSolo);
  std::atomic<bool> worker_ran{false};
  const auto deadline = Clock::now() + 10s;
  pool.parallel_for(2, 1, [&](int64_t, int64_t, int worker) {
    if (worker != 0) {
      worker_ran = true;
      std::this_thread::sleep_for(200ms);
      return;
    }
    while (!worker_ran && Clock::now() < deadline) std::this_thread::yield();
  });
  ASSERT_TRUE(worker_ran) << "the worker never woke up";
  EXPECT_EQ(pool.solo_policy().solo_period(), 2 * SoloPolicy::kMinSolo);
}

}  // namespace
}  // namespace mobiq
