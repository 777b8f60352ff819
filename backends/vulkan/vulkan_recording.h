// The decoder step as a list of dispatches, built once per executor and recorded once into one
// command buffer. Every dispatch is indirect: its workgroup counts come from a small host-visible
// buffer written before each submission, so the same recording serves a one-token decode step, a
// prefill of any length, routed or fixed plans and every output kind. Per token the host writes only
// that buffer, the I/O header (position, thresholds) and the inputs; it never records.
#pragma once

#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>
#include <vector>

#include "backends/vulkan/io_layout.h"
#include "backends/vulkan/vulkan_loaded_model.h"

namespace mobiq::vulkan {

struct Dispatch {
  enum class Rows : uint8_t { kOne, kTokens, kHeadRows };  // what the grid's y covers
  enum class When : uint8_t { kAlways, kRouted, kHead, kArgmax };
  // A matmul's GEMV runs for one row, its GEMM for several (the other of the pair has an empty grid).
  enum class Count : uint8_t { kAny, kSingle, kSeveral };
  Shader shader;
  std::array<uint32_t, kPushWords> push{};
  uint32_t groups_x = 1;
  Rows rows = Rows::kTokens;
  uint32_t rows_per_group = 1;  // rows (tokens) per workgroup along y: the GEMM's tile
  When when = When::kAlways;
  Count count = Count::kAny;
  // false: reads nothing the previous dispatch writes (q/k/v, gate/up), or is the previous one's
  // alternative (a matmul's GEMM after its GEMV).
  bool barrier_before = true;
};

// What varies between submissions of the recorded step.
struct StepShape {
  uint32_t tokens = 1;
  uint32_t head_rows = 0;  // 0: no logits
  bool routed = false;
  bool argmax = false;
};

// The whole forward pass (embedding, layers, final norm, output head, argmax), top down.
std::vector<Dispatch> build_step(const ModelConfig& config, const ModelPlacement& placement,
                                 const ExecutorLayout& layout, const PipelineOptions& matmuls);

// Records `step` into `commands` (begun by the caller): barrier, bind, push, indirect dispatch each.
void record_step(VkCommandBuffer commands, const Pipelines& pipelines, VkDescriptorSet set, VkBuffer indirect,
                 const std::vector<Dispatch>& step);

// Workgroup counts ([step.size()][3]) for one submission.
void write_grid(const std::vector<Dispatch>& step, const StepShape& shape, uint32_t* grid);

}  // namespace mobiq::vulkan
