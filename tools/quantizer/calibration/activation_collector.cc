#include "tools/quantizer/calibration/activation_collector.h"

#include <algorithm>
#include <numeric>

namespace mobiq {

namespace {

std::array<int64_t, kLinearGroups> group_dims(const ModelConfig& c) {
  return {c.hidden_size, c.q_dim(), c.hidden_size, c.intermediate_size};
}

}  // namespace

int64_t ActivationCollector::bytes_per_layer(const ModelConfig& config, int64_t samples) {
  int64_t bytes = 0;
  for (int64_t dim : group_dims(config))
    bytes += dim * dim * static_cast<int64_t>(sizeof(double)) + samples * dim * static_cast<int64_t>(sizeof(float));
  return bytes;
}

ActivationCollector::ActivationCollector(const ModelConfig& config, int32_t first_layer, int32_t end_layer,
                                         int32_t samples_per_window, uint64_t seed, ThreadPool& pool)
    : first_layer_(first_layer),
      end_layer_(end_layer),
      samples_per_window_(samples_per_window),
      rng_(seed),
      pool_(pool),
      groups_((end_layer - first_layer) * kLinearGroups) {
  const auto dims = group_dims(config);
  for (int layer = first_layer; layer < end_layer; ++layer)
    for (int g = 0; g < kLinearGroups; ++g) {
      GroupActivations& a = groups_[(layer - first_layer) * kLinearGroups + g];
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
}

void ActivationCollector::observe(int layer, LinearGroup group, const float* x, int64_t n, int64_t dim) {
  if (layer < first_layer_ || layer >= end_layer_) return;
  GroupActivations& a = at(layer, group);
  for (int64_t p : positions_)
    if (p < n) a.samples.insert(a.samples.end(), x + p * dim, x + (p + 1) * dim);
  // H += x^T x, as the dense matmul of x^T [dim][n] with itself: y[i][j] = sum_t x[t][i] x[t][j].
  transposed_.resize(dim * n);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t i = 0; i < dim; ++i) transposed_[i * n + t] = x[t * dim + i];
  if (!workspace_ || workspace_->width() < n) workspace_ = std::make_unique<math::MatmulWorkspace>(pool_.size(), n);
  product_.resize(dim * dim);
  const DenseTensor xt{DType::kF32, transposed_.data(), dim, n};
  math::matmul_dense(xt, transposed_.data(), dim, product_.data(), pool_, *workspace_);
  for (int64_t i = 0; i < dim * dim; ++i) a.hessian[i] += product_[i];
}

}  // namespace mobiq
