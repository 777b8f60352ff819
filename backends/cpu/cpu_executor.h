// One sequence on the CPU: its KV cache and every activation buffer, allocated once at creation.
#pragma once

#include <initializer_list>
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
  struct GroupOutput {
    const LinearWeights* weights;
    float* y;  // [n][weights->out()]
  };

  Status validate(const ForwardRequest& request) const;
  void attention_block(const ForwardRequest& request, int layer, int64_t n);
  void feed_forward_block(const ForwardRequest& request, int layer, int64_t n);
  // Sets slices_[0, n): the slice count of each token for one group of linears (holding `planes`
  // planes), per the plan.
  void plan_group(const ForwardRequest& request, int layer, LinearGroup group, const float* x, int64_t n, int planes);
  // y = W x for each linear of a group, token t reading slices_[t] planes; tokens are gathered by
  // slice count so each count is one batched matmul.
  void run_group(const ForwardRequest& request, int layer, LinearGroup group, const float* x, int64_t n,
                 std::initializer_list<GroupOutput> outputs);

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
  std::vector<uint8_t> slices_;         // [batch] slice count per token for the group being run
  std::vector<float> router_scores_;    // [batch][kResidualPlanes]
  std::vector<float> router_hidden_;    // [largest router hidden]
  std::vector<float> gathered_in_;      // [batch][widest linear input] tokens of one slice count
  std::vector<float> gathered_out_;     // [batch][widest linear output]
  std::vector<int64_t> gathered_rows_;  // [batch] which token each gathered row is
  std::vector<float> k_cache_;  // [layers][context][kv_dim]
  std::vector<float> v_cache_;  // [layers][context][kv_dim]
};

}  // namespace mobiq::cpu
