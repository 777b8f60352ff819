// A fixed set of worker threads for data-parallel loops, created once per session (never per token).
//
// parallel_for hands out chunks of `grain` items from a shared counter: a worker slowed by other work
// on its core (a phone's background tasks, the slow core of a big.LITTLE pair) holds back only the
// chunk it took, and the calling thread, which takes chunks too, returns as soon as every chunk is
// done, never waiting for a worker that has not woken up. A worker descheduled while it holds a
// chunk still makes the caller wait for it, and one that gets little CPU makes every chunk pay for
// the shared counters for little help: SoloPolicy (solo_policy.h) watches each job and then has the
// caller run jobs alone for a while, so with a core taken by another process a parallel_for stays
// about as fast as the caller alone. Idle workers spin for a few microseconds (a decode step issues
// dozens of loops back to back) and then sleep; the caller likewise.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/core/solo_policy.h"

namespace mobiq {

class ThreadPool {
 public:
  // n_threads <= 0 means one per hardware thread. The calling thread is worker 0.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(begin, end, worker) on disjoint chunks covering [0, n), each `grain` long (the last may
  // be shorter), and returns when all are done. `worker` < size() is unique among the chunks running
  // at once, so it can index per-worker scratch. Not reentrant.
  using ChunkFn = std::function<void(int64_t begin, int64_t end, int worker)>;
  void parallel_for(int64_t n, int64_t grain, const ChunkFn& fn);
  // Whether and how long jobs run on the caller alone (for tests and diagnostics).
  const SoloPolicy& solo_policy() const { return solo_; }

 private:
  struct Job {
    uint64_t generation = 0;
    const ChunkFn* fn = nullptr;
    int64_t n = 0, grain = 1, chunks = 0;
  };
  void worker_loop(int index);
  // Claims and runs chunks of `job` until none is left or the pool moved on to another job; returns
  // how many it ran.
  int64_t run_chunks(const Job& job, int worker);
  // Returns once `chunks` chunks of the current job are finished: spins, then sleeps.
  void wait_for(int64_t chunks);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;  // a new job or stop, for sleeping workers
  std::condition_variable done_;  // the last chunk finished, for a sleeping caller
  Job job_;                       // under mutex_
  bool stop_ = false;             // under mutex_
  SoloPolicy solo_;               // the caller's only
  // Each counter on its own cache line: spinning workers read generation_ while chunks update the
  // other two, and a shared line would bounce between cores on every chunk.
  alignas(64) std::atomic<uint64_t> generation_{0};
  alignas(64) std::atomic<uint64_t> ticket_{0};   // (job generation << 32) | next unclaimed chunk
  alignas(64) std::atomic<int64_t> finished_{0};  // chunks of the current job done
};

}  // namespace mobiq
