// One sequence on the CPU: its KV cache and every activation buffer, allocated once at creation.
#pragma once

#include <vector>

#include "backends/backend.h"
#include "backends/cpu/ops/matmul.h"
#include "backends/cpu/ops/rope.h"
#include "runtime/core/thread_pool.h"

namespace mobiq::cpu {

class CpuExecutor final : public Executor {
 public:
  // Allocates everything; may throw std::bad_alloc (CpuBackend::create_executor turns it into a Status).
  CpuExecutor(const Model& model, const ExecutorOptions& options);

  Status forward(const ForwardRequest& request, float* logits) override;
  int32_t cached_positions() const override { return cached_; }
  int32_t context_size() const override { return options_.context_size; }
  int32_t max_batch() const override { return options_.max_batch; }
  Status truncate(int32_t position) override;

 private:
  Status validate(const ForwardRequest& request) const;
  void attention_block(int layer, int64_t n, int32_t start, int slices);
  void feed_forward_block(int layer, int64_t n, int slices);

  const ModelConfig& config_;
  const ModelWeights& weights_;
  ExecutorOptions options_;
  ThreadPool pool_;
  Rope rope_;
  MatmulWorkspace workspace_;
  int32_t cached_ = 0;

  // Activations for up to max_batch tokens; shapes are per token.
  std::vector<float> x_;        // [batch][hidden] residual stream
  std::vector<float> normed_;   // [batch][hidden]
  std::vector<float> q_;        // [batch][q_dim]
  std::vector<float> k_;        // [batch][kv_dim]
  std::vector<float> v_;        // [batch][kv_dim]
  std::vector<float> mixed_;    // [batch][q_dim] attention output before o_proj
  std::vector<float> delta_;    // [batch][hidden] a block's output, added to x_
  std::vector<float> gate_;     // [batch][intermediate]
  std::vector<float> up_;       // [batch][intermediate]
  std::vector<float> scores_;   // [threads][context] attention weights per worker
  std::vector<float> k_cache_;  // [layers][context][kv_dim]
  std::vector<float> v_cache_;  // [layers][context][kv_dim]
};

}  // namespace mobiq::cpu
