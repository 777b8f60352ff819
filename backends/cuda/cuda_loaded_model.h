// A model's weights on one CUDA device, uploaded once and shared by every executor (session):
//   dense:  the embedding and output head in their stored dtype (one buffer when tied), norms as f32,
//           routers as f32, unsliced linears in their stored dtype;
//   sliced: one buffer per slice plane holding that plane of every linear, rows padded to 16 bytes
//           (views.h, device_row_stride), and one buffer of per-group (s, z) half2 pairs.
// Residency frees the plane buffers above the cap and uploads them again when it rises.
// Integrated GPUs (Jetson, cudaDevAttrIntegrated) get the same copies today; mapping the .mbq pages
// into the GPU's address space there (no copy) is future work (README.md).
#pragma once

#include <array>
#include <memory>
#include <shared_mutex>
#include <vector>

#include "backends/backend.h"
#include "backends/cuda/cuda_buffer.h"
#include "backends/cuda/ops/views.h"

namespace mobiq::cuda {

inline constexpr int kLinearsPerLayer = 7;  // q, k, v, o, gate, up, down

class CudaLoadedModel final : public LoadedModel, public std::enable_shared_from_this<CudaLoadedModel> {
 public:
  static Result<std::shared_ptr<CudaLoadedModel>> load(const Model& model, int device);

  const char* backend_name() const override { return "cuda"; }
  const Model& model() const override { return model_; }
  Result<std::unique_ptr<Executor>> create_executor(const ExecutorOptions& options) override;
  Status set_resident_planes(int planes) override;
  int resident_planes() const override { return resident_; }
  uint64_t resident_plane_bytes() const override;

  int device() const { return device_; }
  bool integrated() const { return integrated_; }
  bool has_routers() const { return has_routers_; }
  bool sliced() const { return model_.max_slices() > 0; }
  // Held shared by a forward pass (until its stream is idle), exclusively by set_resident_planes.
  std::shared_mutex& residency_mutex() const { return residency_mutex_; }

  // Views for the kernels; read under residency_mutex(). `index`: kLinearsPerLayer order.
  SlicedView sliced_linear(int layer, int index) const;
  DenseView dense_linear(int layer, int index) const;
  DenseView embedding() const { return embedding_view_; }
  DenseView head() const { return head_view_; }
  const float* attn_norm(int layer) const { return norms_.as<float>() + (2 * int64_t{layer}) * hidden(); }
  const float* ffn_norm(int layer) const { return norms_.as<float>() + (2 * int64_t{layer} + 1) * hidden(); }
  const float* final_norm() const { return norms_.as<float>() + 2 * int64_t{model_.config().n_layers} * hidden(); }
  RouterView router(int layer, int group) const { return routers_view_[layer * kLinearGroups + group]; }
  const float* inv_freq() const { return inv_freq_.as<float>(); }

 private:
  struct LinearSlot {
    int64_t offset = 0;             // in each plane buffer, or in dense_linears_
    int64_t scale_zero_offset = 0;  // in 32-bit words of scale_zero_
  };
  CudaLoadedModel(const Model& model, int device, bool integrated);
  int64_t hidden() const { return model_.config().hidden_size; }
  const LinearWeights& linear(int layer, int index) const;
  Status upload_dense();
  Status upload_routers();
  Status upload_sliced_params();
  Status upload_plane(int plane);

  const Model& model_;
  int device_;
  bool integrated_;
  bool has_routers_;
  int resident_;
  std::vector<LinearSlot> slots_;  // [layers * kLinearsPerLayer]
  int64_t plane_bytes_ = 0;        // one plane of every linear, padded rows
  DeviceBuffer embedding_, head_, norms_, inv_freq_, routers_, dense_linears_, scale_zero_;
  std::array<DeviceBuffer, kMaxPlanes> planes_;
  DenseView embedding_view_{}, head_view_{};
  std::vector<RouterView> routers_view_;  // [layers * kLinearGroups]
  mutable std::shared_mutex residency_mutex_;
};

}  // namespace mobiq::cuda
