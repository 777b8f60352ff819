// Collects, from forward passes over calibration windows, what the calibrator needs per layer and
// group of linears sharing an input: H = sum over tokens of x x^T ([in][in], double) for the slices,
// and a sample of token activations ([samples][in]) for the routers. Sampled positions are the same
// for every layer and group of a window, so a token's samples line up across the model; a collector
// covers a range of layers, so a large model's statistics can be gathered a few layers at a time.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "backends/cpu/activation_observer.h"
#include "format/model_config.h"
#include "runtime/core/thread_pool.h"
#include "runtime/math/matmul.h"

namespace mobiq {

struct GroupActivations {
  int64_t dim = 0;
  std::vector<double> hessian;  // [dim][dim]
  std::vector<float> samples;   // [n_samples][dim]
};

class ActivationCollector final : public cpu::ActivationObserver {
 public:
  // Layers [first_layer, end_layer); positions drawn from `seed` (the same for every range).
  ActivationCollector(const ModelConfig& config, int32_t first_layer, int32_t end_layer, int32_t samples_per_window,
                      uint64_t seed, ThreadPool& pool);

  // Bytes of statistics one layer needs (its H matrices and `samples` sampled activations per
  // group), to plan ranges under a memory budget.
  static int64_t bytes_per_layer(const ModelConfig& config, int64_t samples);

  // Picks the sampled positions of the next window of `tokens` tokens.
  void begin_window(int64_t tokens);
  void observe(int layer, LinearGroup group, const float* x, int64_t n, int64_t dim) override;

  GroupActivations& at(int layer, LinearGroup group) {
    return groups_[(layer - first_layer_) * kLinearGroups + static_cast<int>(group)];
  }

 private:
  int32_t first_layer_;
  int32_t end_layer_;
  int32_t samples_per_window_;
  std::mt19937_64 rng_;
  ThreadPool& pool_;
  std::vector<GroupActivations> groups_;  // [(end_layer - first_layer) * kLinearGroups]
  std::vector<int64_t> positions_;        // sampled positions of the current window
  std::vector<float> transposed_;         // [dim][tokens] scratch for the x^T x product
  std::vector<float> product_;            // [dim][dim]
  std::unique_ptr<math::MatmulWorkspace> workspace_;
};

}  // namespace mobiq
