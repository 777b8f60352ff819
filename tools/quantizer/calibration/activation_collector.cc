#include "tools/quantizer/calibration/activation_collector.h"

#include <algorithm>
#include <numeric>

namespace mobiq {

ActivationCollector::ActivationCollector(const ModelConfig& config, int32_t samples_per_window, uint64_t seed,
                                         ThreadPool& pool)
    : samples_per_window_(samples_per_window), rng_(seed), pool_(pool), groups_(config.n_layers * kLinearGroups) {
  const int64_t dims[kLinearGroups] = {config.hidden_size, config.q_dim(), config.hidden_size, config.intermediate_size};
  for (int layer = 0; layer < config.n_layers; ++layer)
    for (int g = 0; g < kLinearGroups; ++g) {
      GroupActivations& a = groups_[layer * kLinearGroups + g];
      a.dim = dims[g];
      a.hessian.assign(a.dim * a.dim, 0.0);
    }
}

void ActivationCollector::begin_window(int64_t tokens) {
  std::vector<int64_t> all(tokens);
  std::iota(all.begin(), all.end(), 0);
  std::shuffle(all.begin(), all.end(), rng_);
  positions_.assign(all.begin(), all.begin() + std::min<int64_t>(samples_per_window_, tokens));
  std::sort(positions_.begin(), positions_.end());
  sample_count_ += static_cast<int64_t>(positions_.size());
  token_count_ += tokens;
}

void ActivationCollector::observe(int layer, LinearGroup group, const float* x, int64_t n, int64_t dim) {
  GroupActivations& a = at(layer, group);
  for (int64_t p : positions_)
    if (p < n) a.samples.insert(a.samples.end(), x + p * dim, x + (p + 1) * dim);
  // H += x^T x, as the dense matmul of x^T [dim][n] with itself: y[i][j] = sum_t x[t][i] x[t][j].
  transposed_.resize(dim * n);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t i = 0; i < dim; ++i) transposed_[i * n + t] = x[t * dim + i];
  if (!workspace_ || workspace_->width() < n) workspace_ = std::make_unique<cpu::MatmulWorkspace>(pool_.size(), n);
  product_.resize(dim * dim);
  const DenseTensor xt{DType::kF32, transposed_.data(), dim, n};
  cpu::matmul_dense(xt, transposed_.data(), dim, product_.data(), pool_, *workspace_);
  for (int64_t i = 0; i < dim * dim; ++i) a.hessian[i] += product_[i];
}

}  // namespace mobiq
