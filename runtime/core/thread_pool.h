// A fixed set of worker threads for data-parallel loops, created once per session (never per token).
//
// parallel_for hands out chunks of `grain` items from a shared counter: a worker slowed by other work
// on its core (a phone's background tasks, the slow core of a big.LITTLE pair) holds back only the
// chunk it took, and the calling thread, which takes chunks too, returns as soon as every chunk is
// done, never waiting for a worker that has not woken up. So with a core taken by another process a
// parallel_for is no slower than the caller alone. Idle workers spin for a few microseconds (a decode
// step issues dozens of loops back to back) and then sleep; the caller likewise.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

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

 private:
  struct Job {
    uint64_t generation = 0;
    const ChunkFn* fn = nullptr;
    int64_t n = 0, grain = 1, chunks = 0;
  };
  void worker_loop(int index);
  // Claims and runs chunks of `job` until none is left or the pool moved on to another job.
  void run_chunks(const Job& job, int worker);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;  // a new job or stop, for sleeping workers
  std::condition_variable done_;  // the last chunk finished, for a sleeping caller
  Job job_;                       // under mutex_
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> ticket_{0};       // (job generation << 32) | next unclaimed chunk
  std::atomic<int64_t> finished_{0};      // chunks of the current job done
  bool stop_ = false;                     // under mutex_
};

}  // namespace mobiq
