// One sequence on the CPU: its KV cache and every activation buffer, allocated once at creation.
#pragma once

#include <initializer_list>
#include <memory>
#include <vector>

#include "backends/backend.h"
#include "backends/cpu/activation_observer.h"
#include "backends/cpu/kernels/kernels.h"
#include "runtime/core/thread_pool.h"
#include "runtime/math/matmul.h"
#include "runtime/math/rope.h"

namespace mobiq::cpu {

class CpuLoadedModel;

class CpuExecutor final : public Executor {
 public:
  // Allocates everything; may throw std::bad_alloc (CpuLoadedModel::create_executor turns it into a Status).
  CpuExecutor(std::shared_ptr<const CpuLoadedModel> loaded, const ExecutorOptions& options);

  Status set_plan(const SlicePlan& plan) override;
  Status forward(std::span<const int32_t> tokens, int32_t start_position, const ForwardOutput& output) override;
  ReadStats read_stats() const override { return stats_; }
  Status read_slice_counts(std::span<uint8_t> out) const override;
  int32_t cached_positions() const override { return cached_; }
  int32_t context_size() const override { return options_.context_size; }
  int32_t max_batch() const override { return options_.max_batch; }
  Status truncate(int32_t position) override;
  // Calibration's view of every group's input (nullptr: none); not owned.
  void set_observer(ActivationObserver* observer) { observer_ = observer; }

 private:
  struct GroupOutput {
    const LinearWeights* weights;
    int index;  // in the layer: 0..6 for q, k, v, o, gate, up, down
    float* y;   // [n][weights->out()]
  };
  static constexpr int kMaxGroupLinears = 3;  // q, k, v

  Status attention_block(int layer, int64_t n);
  Status feed_forward_block(int layer, int64_t n);
  // Sets slices_[0, n): the slice count of each token for one group of linears (holding `planes`
  // planes), per the plan; records them when asked to.
  void plan_group(int layer, LinearGroup group, const float* x, int64_t n, int planes);
  // y = W x for each linear of a group, token t reading slices_[t] planes; tokens are gathered by
  // slice count so each count is one batched matmul.
  Status run_group(int layer, LinearGroup group, const float* x, int64_t n, std::initializer_list<GroupOutput> outputs);
  Status group_matmul(int layer, std::initializer_list<GroupOutput> outputs, int k, const float* x, int64_t m,
                      int64_t in, std::span<float* const> y);
  Status write_output(int64_t n, const ForwardOutput& output);

  std::shared_ptr<const CpuLoadedModel> loaded_;
  const ModelConfig& config_;
  const ModelWeights& weights_;
  ExecutorOptions options_;
  ThreadPool pool_;
  math::Rope rope_;
  math::MatmulWorkspace workspace_;
  QuantizedInput quantized_;      // int8 copy of a group's input (kernel sets only)
  SlicePlan plan_;                // set_plan's; every slice until the first call
  ReadStats stats_;               // since creation
  ActivationObserver* observer_ = nullptr;
  int32_t cached_ = 0;
  int32_t start_ = 0;             // position of the first token of the forward pass running
  int64_t recorded_tokens_ = 0;   // tokens of the last forward whose counts recorded_ holds

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
  std::vector<float> rope_cos_, rope_sin_;  // [batch][head_dim / 2] this pass's positions, for every layer
  std::vector<uint8_t> slices_;         // [batch] slice count per token for the group being run
  std::vector<uint8_t> recorded_;       // [batch][layers][kLinearGroups] when options_.record_slices
  std::vector<float> logits_;           // [vocab] for ForwardOutput::kArgmax
  std::vector<float> router_scores_;    // [batch][kResidualPlanes]
  std::vector<float> router_hidden_;    // [largest router hidden]
  std::vector<float> gathered_in_;      // [batch][widest linear input] tokens of one slice count
  std::vector<float> gathered_out_;     // [batch][widest group's summed outputs], one region per linear
  std::vector<int64_t> gathered_rows_;  // [batch] which token each gathered row is
  std::vector<float> k_cache_;  // [layers][context][kv_dim]
  std::vector<float> v_cache_;  // [layers][context][kv_dim]
};

}  // namespace mobiq::cpu
