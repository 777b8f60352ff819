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

// One pipeline each. The matmuls have two: one token (a decode step, the last token's logits: a
// GEMV) and several tokens (prefill: a GEMM whose invocations reuse each weight over a tile of tokens).
enum class Shader : uint8_t {
  kAdd,
  kArgmax,
  kAttention,
  kEmbed,
  kMatmulDense,
  kMatmulDenseTiled,
  kMatmulSliced,
  kMatmulSlicedTiled,
  kRmsNorm,
  kRopeStoreKv,
  kRouter,
  kSwiglu,
};
inline constexpr int kShaderCount = 12;

// How a matmul pipeline splits its work: shaders/row_reduce.glsl's specialization constants.
struct MatmulSplit {
  uint32_t lanes = 16;  // invocations sharing a row of W: a power of two, 1..64
  uint32_t rows = 1;    // rows of W per invocation, 1..8
  uint32_t tile = 1;    // tokens per invocation, 1..16
  uint32_t rows_per_workgroup() const { return 64 / lanes * rows; }
};

// The pipeline variants, chosen once per loaded model from the device's features.
struct PipelineOptions {
  MatmulSplit gemv;  // kMatmulDense, kMatmulSliced (tile 1)
  MatmulSplit gemm;  // kMatmulDenseTiled, kMatmulSlicedTiled
  // Workgroup sums and maxima (attention, RMSNorm, routers) through subgroup operations; needs
  // DeviceFeatures::subgroup_arithmetic.
  bool subgroup_reductions = false;
  // The KV cache in f16 (half the memory and the attention's reads; keys and values rounded to f16);
  // needs DeviceFeatures::storage_16bit.
  bool kv_f16 = false;
  // GPUs: 16 lanes per row (neighbouring lanes read neighbouring bytes), subgroup reductions and an
  // f16 KV cache where the device has them. CPU drivers (lavapipe), which pay per load instruction
  // and for every barrier: one lane, 4 rows per invocation, shared-memory reductions and an f32
  // cache (neither variant measured faster there), so results stay those of f32 throughout.
  static PipelineOptions for_device(const DeviceInfo& device);
  uint32_t kv_bytes() const { return kv_f16 ? 2 : 4; }  // per cached value
};

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

  // With the device's own options (PipelineOptions::for_device), or others (tests run several).
  static Result<std::unique_ptr<Pipelines>> create(std::shared_ptr<VulkanDevice> device);
  static Result<std::unique_ptr<Pipelines>> create(std::shared_ptr<VulkanDevice> device, const PipelineOptions& options);

  const PipelineOptions& options() const { return options_; }
  // The split of a matmul shader (the GEMV's for any other shader).
  const MatmulSplit& split(Shader shader) const {
    return shader == Shader::kMatmulDenseTiled || shader == Shader::kMatmulSlicedTiled ? options_.gemm : options_.gemv;
  }

  VkDescriptorSetLayout set_layout() const { return set_layout_; }
  VkPipelineLayout layout() const { return layout_; }
  VkPipeline pipeline(Shader shader) const { return pipelines_[static_cast<int>(shader)]; }

 private:
  Pipelines(std::shared_ptr<VulkanDevice> device, const PipelineOptions& options)
      : device_(std::move(device)), options_(options) {}

  std::shared_ptr<VulkanDevice> device_;
  VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
  VkPipelineLayout layout_ = VK_NULL_HANDLE;
  std::array<VkPipeline, kShaderCount> pipelines_{};
  PipelineOptions options_;
};

}  // namespace mobiq::vulkan
