// A model's weights in Vulkan buffers, uploaded once and shared by every executor of the model:
//   weights buffer   dense tensors as stored (f32/f16/bf16), norms and routers as f32, and the f16
//                    scales and zeros of every sliced linear;
//   plane buffer p   plane p of every sliced linear (p = 0..3), so planes above the resident count are
//                    freed and uploaded again as whole buffers.
// Shaders find a tensor by its word offset in its buffer (the placements below).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "backends/backend.h"
#include "backends/vulkan/vulkan_buffer.h"
#include "backends/vulkan/vulkan_pipelines.h"

namespace mobiq::vulkan {

// Where a tensor lives: a word offset (4 bytes) into its buffer.
struct DensePlacement {
  uint32_t word = 0;
  uint32_t dtype = 0;  // DType: 0 f32, 1 f16, 2 bf16
};

struct LinearPlacement {
  bool sliced = false;
  int64_t out = 0, in = 0;
  DensePlacement dense;                // !sliced
  uint32_t scales = 0, zeros = 0;      // sliced: f16 [out][groups] in the weights buffer
  std::array<uint32_t, kMaxPlanes> plane{};  // sliced: word offset in plane buffer p
  int n_planes = 0;
};

struct RouterPlacement {
  int32_t hidden = 0;  // 0: none
  int32_t in = 0;
  uint32_t w1 = 0, b1 = 0, w2 = 0, b2 = 0;  // f32 in the weights buffer
  int64_t parameters = 0;
};

struct LayerPlacement {
  uint32_t attn_norm = 0, ffn_norm = 0;  // f32 [hidden]
  LinearPlacement q, k, v, o, gate, up, down;
  std::array<RouterPlacement, kLinearGroups> routers;
};

struct ModelPlacement {
  DensePlacement embedding;  // [vocab][hidden]
  DensePlacement output;     // [vocab][hidden]
  uint32_t final_norm = 0;   // f32 [hidden]
  std::vector<LayerPlacement> layers;
};

class VulkanLoadedModel final : public LoadedModel, public std::enable_shared_from_this<VulkanLoadedModel> {
 public:
  // With the device's pipeline variants (PipelineOptions::for_device), or others (tests run each).
  static Result<std::shared_ptr<VulkanLoadedModel>> load(const Model& model, std::shared_ptr<VulkanDevice> device);
  static Result<std::shared_ptr<VulkanLoadedModel>> load(const Model& model, std::shared_ptr<VulkanDevice> device,
                                                         const PipelineOptions& options);

  const char* backend_name() const override { return "vulkan"; }
  const Model& model() const override { return model_; }
  Result<std::unique_ptr<Executor>> create_executor(const ExecutorOptions& options) override;
  Status set_resident_planes(int planes) override;
  int resident_planes() const override { return resident_; }
  uint64_t resident_plane_bytes() const override;

  VulkanDevice& device() const { return *device_; }
  const std::shared_ptr<VulkanDevice>& shared_device() const { return device_; }
  const Pipelines& pipelines() const { return *pipelines_; }
  const ModelPlacement& placement() const { return placement_; }
  bool has_routers() const { return has_routers_; }
  const Buffer& weights() const { return weights_; }
  // Plane p's buffer; empty when the plane is not resident (or no linear has it).
  const Buffer& plane(int p) const { return planes_[p]; }
  // Changes whenever a plane buffer is freed or created: executors re-bind and re-record then.
  uint64_t residency_generation() const { return generation_; }

 private:
  VulkanLoadedModel(const Model& model, std::shared_ptr<VulkanDevice> device);
  Status upload_weights();
  Status upload_plane(int p);

  const Model& model_;
  std::shared_ptr<VulkanDevice> device_;
  std::unique_ptr<Pipelines> pipelines_;
  ModelPlacement placement_;
  bool has_routers_ = false;
  int resident_ = 0;  // planes kept; model.max_slices() at load
  uint64_t generation_ = 0;
  Buffer weights_;
  std::array<Buffer, kMaxPlanes> planes_;
  std::array<uint64_t, kMaxPlanes> plane_bytes_{};  // bytes plane p's buffer needs
};

}  // namespace mobiq::vulkan
