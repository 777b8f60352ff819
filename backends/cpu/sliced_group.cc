#include "backends/cpu/sliced_group.h"

#include <algorithm>
#include <mutex>

namespace mobiq::cpu {
namespace {

// Row blocks per parallel chunk: at least 4 blocks of 8 rows (a few KiB of weights per plane), and
// at most about kChunksPerThread chunks per thread and job. Small chunks let a thread slowed by
// other work hold back little; each chunk also costs two atomic updates on counters shared by the
// cores (~0.1-0.3 us), and a decode step of fixture-a had ~940 of them at 4 blocks per chunk.
constexpr int64_t kBlocksPerChunk = 4;
constexpr int64_t kChunksPerThread = 8;

int64_t grain_of(int64_t blocks, const ThreadPool& pool) {
  return std::max(kBlocksPerChunk, blocks / (kChunksPerThread * pool.size()));
}

// The first error any worker met (kernels only fail on misuse: a bad row range or plane count).
class FirstError {
 public:
  void record(Status s) {
    if (s.ok()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (status_.ok()) status_ = std::move(s);
  }
  Status take() { return std::move(status_); }

 private:
  std::mutex mutex_;
  Status status_;
};

int64_t blocks_of(int64_t out) { return (out + PackedSliced::row_block() - 1) / PackedSliced::row_block(); }

}  // namespace

Status sliced_group_matmul(const KernelSet& set, std::span<const PackedSliced* const> linears,
                           std::span<float* const> y, int k, const float* x, int64_t n, int64_t in,
                           QuantizedInput& xq, ThreadPool& pool) {
  MOBIQ_RETURN_IF_ERROR(quantize_input(set, x, n, in, xq));
  // Blocks of all linears laid end to end: linear i owns [first[i], first[i + 1]).
  int64_t first[8] = {0};
  const size_t count = std::min<size_t>(linears.size(), 7);
  for (size_t i = 0; i < count; ++i) first[i + 1] = first[i] + blocks_of(linears[i]->out());
  FirstError error;
  pool.parallel_for(first[count], grain_of(first[count], pool), [&](int64_t b0, int64_t b1, int) {
    for (size_t i = 0; i < count; ++i) {
      const int64_t lo = std::max(b0, first[i]), hi = std::min(b1, first[i + 1]);
      if (lo >= hi) continue;
      const int64_t rows = linears[i]->out(), block = PackedSliced::row_block();
      error.record(sliced_matmul_rows(set, *linears[i], k, xq, (lo - first[i]) * block,
                                      std::min(rows, (hi - first[i]) * block), y[i]));
    }
  });
  return error.take();
}

Status dense_q8_matmul(const KernelSet& set, const PackedDenseQ8& w, const float* x, int64_t n, float* y,
                       QuantizedInput& xq, ThreadPool& pool) {
  MOBIQ_RETURN_IF_ERROR(quantize_input(set, x, n, w.in(), xq));
  FirstError error;
  const int64_t block = PackedDenseQ8::row_block();
  pool.parallel_for(blocks_of(w.out()), grain_of(blocks_of(w.out()), pool), [&](int64_t b0, int64_t b1, int) {
    error.record(dense_q8_matmul_rows(set, w, xq, b0 * block, std::min(w.out(), b1 * block), y));
  });
  return error.take();
}

}  // namespace mobiq::cpu
