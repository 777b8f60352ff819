// The compute pipelines of the backend, one per shader, all with one pipeline layout: one descriptor
// set of 9 storage buffers (shaders/common.glsl lists them) and 128 bytes of push constants that
// carry each dispatch's offsets and shapes.
#pragma once

#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>
#include <memory>

#include "backends/vulkan/vulkan_device.h"

namespace mobiq::vulkan {

enum class Shader : uint8_t {
  kAdd,
  kArgmax,
  kAttention,
  kEmbed,
  kMatmulDense,
  kMatmulSliced,
  kRmsNorm,
  kRopeStoreKv,
  kRouter,
  kSwiglu,
};
inline constexpr int kShaderCount = 10;

// Descriptor bindings, in shaders/common.glsl's order.
enum Binding : uint32_t {
  kBindWeights = 0,
  kBindPlane0 = 1,  // planes 0..3: bindings 1..4
  kBindActivations = 5,
  kBindKvCache = 6,
  kBindIo = 7,
  kBindLogits = 8,
};
inline constexpr uint32_t kBindingCount = 9;
inline constexpr uint32_t kPushWords = 32;  // 128 bytes, the minimum every device offers

class Pipelines {
 public:
  ~Pipelines();
  Pipelines(const Pipelines&) = delete;
  Pipelines& operator=(const Pipelines&) = delete;

  // matmul_lanes: 1 or 16 (tests run both on one device); 0 picks from the device type.
  static Result<std::unique_ptr<Pipelines>> create(std::shared_ptr<VulkanDevice> device, uint32_t matmul_lanes = 0);

  // Invocations that share one row of a matmul (shaders/row_reduce.glsl's LANES), and so the rows
  // each matmul workgroup computes: 16 lanes on GPUs, 1 on CPU drivers.
  uint32_t matmul_lanes() const { return matmul_lanes_; }
  uint32_t matmul_rows_per_workgroup() const { return 64 / matmul_lanes_; }

  VkDescriptorSetLayout set_layout() const { return set_layout_; }
  VkPipelineLayout layout() const { return layout_; }
  VkPipeline pipeline(Shader shader) const { return pipelines_[static_cast<int>(shader)]; }

 private:
  explicit Pipelines(std::shared_ptr<VulkanDevice> device) : device_(std::move(device)) {}

  std::shared_ptr<VulkanDevice> device_;
  VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
  VkPipelineLayout layout_ = VK_NULL_HANDLE;
  std::array<VkPipeline, kShaderCount> pipelines_{};
  uint32_t matmul_lanes_ = 16;
};

}  // namespace mobiq::vulkan
