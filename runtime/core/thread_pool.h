// A fixed set of worker threads for data-parallel loops. Created once per session (never per
// token); parallel_for hands each worker one contiguous chunk and waits for all of them.
#pragma once

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

  // Calls fn(begin, end, worker) on disjoint chunks covering [0, n), each at least `grain` long
  // (except possibly the last), and returns when all are done. `worker` < size() is unique among
  // the chunks running at once, so it can index per-worker scratch. Not reentrant.
  using ChunkFn = std::function<void(int64_t begin, int64_t end, int worker)>;
  void parallel_for(int64_t n, int64_t grain, const ChunkFn& fn);

 private:
  void worker_loop(int index);
  void run_chunk(int index);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const ChunkFn* job_ = nullptr;
  int64_t job_n_ = 0;
  int job_chunks_ = 0;
  uint64_t generation_ = 0;  // bumped per job so a worker never runs the same job twice
  int pending_ = 0;          // workers still running the current job
  bool stop_ = false;
};

}  // namespace mobiq
