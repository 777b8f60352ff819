// The CPU reference matmul: y = W x for every token of a batch, W dense or sliced.
#pragma once

#include <cstdint>
#include <vector>

#include "format/model_weights.h"
#include "runtime/core/thread_pool.h"

namespace mobiq::math {

// Per-worker scratch for the batched path, sized once for the widest input.
class MatmulWorkspace {
 public:
  MatmulWorkspace(int n_workers, int64_t max_in);
  int64_t width() const { return max_in_; }
  float* worker(int index) { return buffers_[index].data(); }
  float* group_sums() { return group_sums_.data(); }
  float* deinterleaved() { return deinterleaved_.data(); }

 private:
  int64_t max_in_;
  std::vector<std::vector<float>> buffers_;  // [n_workers][(tile rows + 1) * max_in]: a row + a tile
  std::vector<float> group_sums_;            // [few tokens][n_groups(max_in)]: sum(x) per group
  std::vector<float> deinterleaved_;         // [few tokens][n_groups(max_in)][kGroupSize] inputs by byte lane
};

// y[t][r] = sum_i W_k[r][i] * x[t][i] for t < n, r < w.out(); x: [n][w.in()], y: [n][w.out()].
// `slices` (1..w.sliced.n_planes) is how many planes a sliced W reads; dense W ignores it.
void matmul(const LinearWeights& w, int slices, const float* x, int64_t n, float* y, ThreadPool& pool,
            MatmulWorkspace& workspace);

// Same for a dense matrix alone (the output head).
void matmul_dense(const DenseTensor& w, const float* x, int64_t n, float* y, ThreadPool& pool,
                  MatmulWorkspace& workspace);

}  // namespace mobiq::math
