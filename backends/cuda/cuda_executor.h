// One sequence on the GPU: fp16 KV cache, f32 activations, the slice plan in device memory, and the
// decoder step as kernel launches on one stream (backends/cuda/ops). A forward pass keeps the tokens
// on the device from the embedding to the logits (or the argmax); only the requested output comes back.
// A CUDA fault inside a kernel is kept as the executor's sticky error: every later call returns it.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <memory>
#include <span>

#include "backends/backend.h"
#include "backends/cuda/cuda_buffer.h"
#include "backends/cuda/ops/views.h"

namespace mobiq::cuda {

class CudaLoadedModel;

class CudaExecutor final : public Executor {
 public:
  static Result<std::unique_ptr<CudaExecutor>> create(std::shared_ptr<const CudaLoadedModel> loaded,
                                                      const ExecutorOptions& options);
  ~CudaExecutor() override;

  Status set_plan(const SlicePlan& plan) override;
  Status forward(std::span<const int32_t> tokens, int32_t start_position, const ForwardOutput& output) override;
  ReadStats read_stats() const override;
  Status read_slice_counts(std::span<uint8_t> out) const override;
  int32_t cached_positions() const override { return cached_; }
  int32_t context_size() const override { return options_.context_size; }
  int32_t max_batch() const override { return options_.max_batch; }
  Status truncate(int32_t position) override;

 private:
  struct Output {
    int index;  // linear index in a layer (q, k, v, o, gate, up, down)
    float* y;
  };
  CudaExecutor(std::shared_ptr<const CudaLoadedModel> loaded, const ExecutorOptions& options);
  Status allocate();
  Status enqueue_forward(std::span<const int32_t> tokens, int32_t start_position, const ForwardOutput& output);
  Status enqueue_layer(int layer, int n, int32_t start_position);
  Status enqueue_group(int layer, LinearGroup group, const float* x, int n, std::initializer_list<Output> outputs);
  Status enqueue_output(int n, const ForwardOutput& output);

  std::shared_ptr<const CudaLoadedModel> loaded_;
  const ModelConfig& config_;
  ExecutorOptions options_;
  cudaStream_t stream_ = nullptr;
  Status sticky_;
  SlicePlan plan_;
  int32_t cached_ = 0;
  int32_t recorded_tokens_ = 0;
  int64_t tokens_ = 0;
  // Device memory. Activations [max_batch][width] f32; caches [n_layers][context][kv_dim] fp16.
  DeviceBuffer tokens_buffer_, x_, normed_, q_, k_, v_, mixed_, delta_, gate_, up_, partial_, logits_, argmax_;
  DeviceBuffer k_cache_, v_cache_, router_scores_, slices_, recorded_, stats_;
  DeviceBuffer plan_buffer_, group_slices_, thresholds_, explicit_slices_;
};

}  // namespace mobiq::cuda
