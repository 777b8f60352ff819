#include "runtime/core/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace mobiq {
namespace {

// About 20-50 us of polling before sleeping: longer than the gap between two loops of a decode step,
// much shorter than a scheduler time slice.
constexpr int kSpins = 4000;

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

constexpr uint64_t ticket_of(uint64_t generation, uint64_t chunk) { return (generation << 32) | chunk; }

}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  if (n_threads <= 0) n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < n_threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

int64_t ThreadPool::run_chunks(const Job& job, int worker) {
  int64_t ran = 0;
  uint64_t ticket = ticket_.load(std::memory_order_acquire);
  for (;;) {
    // A ticket of another generation means this job is over (a stale snapshot): stop.
    if ((ticket >> 32) != (job.generation & 0xffffffffu) || static_cast<int64_t>(ticket & 0xffffffffu) >= job.chunks)
      return ran;
    if (!ticket_.compare_exchange_weak(ticket, ticket + 1, std::memory_order_acq_rel)) continue;
    const int64_t chunk = static_cast<int64_t>(ticket & 0xffffffffu);
    const int64_t begin = chunk * job.grain;
    (*job.fn)(begin, std::min(job.n, begin + job.grain), worker);
    ++ran;
    if (finished_.fetch_add(1, std::memory_order_acq_rel) + 1 == job.chunks) {
      std::lock_guard<std::mutex> lock(mutex_);  // the caller may be about to sleep on done_
      done_.notify_one();
    }
    ticket = ticket_.load(std::memory_order_acquire);
  }
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, const ChunkFn& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int64_t chunks = (n + grain - 1) / grain;
  const auto started = SoloPolicy::Clock::now();
  if (workers_.empty() || chunks == 1 || solo_.solo(started)) {
    fn(0, n, 0);
    return;
  }
  Job job;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job = {generation_.load() + 1, &fn, n, grain, chunks};
    job_ = job;
    finished_.store(0, std::memory_order_relaxed);
    ticket_.store(ticket_of(job.generation & 0xffffffffu, 0), std::memory_order_release);
    generation_.store(job.generation, std::memory_order_release);
  }
  wake_.notify_all();
  const auto woken = SoloPolicy::Clock::now();
  const int64_t own = run_chunks(job, 0);
  const auto worked = SoloPolicy::Clock::now();
  wait_for(chunks);
  const auto done = SoloPolicy::Clock::now();
  solo_.record(done, {woken - started, worked - woken, done - worked, own, chunks});
}

void ThreadPool::wait_for(int64_t chunks) {
  for (int i = 0; i < kSpins; ++i) {
    if (finished_.load(std::memory_order_acquire) == chunks) return;
    cpu_relax();
  }
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return finished_.load(std::memory_order_acquire) == chunks; });
}

void ThreadPool::worker_loop(int index) {
  uint64_t seen = 0;
  for (;;) {
    for (int i = 0; i < kSpins && generation_.load(std::memory_order_acquire) == seen; ++i) cpu_relax();
    Job job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_.load() != seen; });
      if (stop_) return;
      seen = generation_.load();
      job = job_;
    }
    run_chunks(job, index);
  }
}

}  // namespace mobiq
