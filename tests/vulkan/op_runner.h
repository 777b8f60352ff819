// Runs one shader of the Vulkan backend on host-made buffers (the backend's one descriptor set
// layout: weights, planes 0..3, activations, KV cache, I/O, logits) and reads every writable buffer
// back, so each op is tested against the CPU op on its own.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <utility>
#include <cstring>
#include <vector>

#include "backends/vulkan/vulkan_buffer.h"
#include "backends/vulkan/vulkan_pipelines.h"

namespace mobiq::test {

struct OpBuffers {
  std::vector<uint32_t> weights{0};
  std::array<std::vector<uint32_t>, kMaxPlanes> planes{std::vector<uint32_t>{0}, std::vector<uint32_t>{0},
                                                       std::vector<uint32_t>{0}, std::vector<uint32_t>{0}};
  std::vector<float> act{0.0f}, kv{0.0f}, logits{0.0f};
  std::vector<uint32_t> io = std::vector<uint32_t>(64, 0);

  // Appends `bytes` to `words` at a 64-byte boundary; returns the word offset.
  static uint32_t append(std::vector<uint32_t>& words, const void* data, size_t bytes) {
    words.resize((words.size() + 15) / 16 * 16);
    const uint32_t at = static_cast<uint32_t>(words.size());
    words.resize(at + (bytes + 3) / 4, 0);
    std::memcpy(words.data() + at, data, bytes);
    return at;
  }
  // Appends floats to the activations; returns the offset.
  uint32_t add_act(const std::vector<float>& v) {
    act.resize((act.size() + 15) / 16 * 16);
    const uint32_t at = static_cast<uint32_t>(act.size());
    act.insert(act.end(), v.begin(), v.end());
    return at;
  }
};

class OpRunner {
 public:
  // With the device's own pipeline options.
  explicit OpRunner(std::shared_ptr<vulkan::VulkanDevice> device) : device_(std::move(device)) {
    adopt(vulkan::Pipelines::create(device_));
  }
  // With other matmul splits (vulkan::PipelineOptions).
  OpRunner(std::shared_ptr<vulkan::VulkanDevice> device, const vulkan::PipelineOptions& options)
      : device_(std::move(device)) {
    adopt(vulkan::Pipelines::create(device_, options));
  }

  // The workgroup grid of matmul `shader` over `out` rows of W and `tokens` tokens.
  std::pair<uint32_t, uint32_t> matmul_grid(vulkan::Shader shader, int64_t out, int64_t tokens) const {
    const vulkan::MatmulSplit split = pipelines_ ? pipelines_->split(shader) : vulkan::MatmulSplit{};
    return {static_cast<uint32_t>((out + split.rows_per_workgroup() - 1) / split.rows_per_workgroup()),
            static_cast<uint32_t>((tokens + split.tile - 1) / split.tile)};
  }

  // Dispatches `shader` over (groups_x, groups_y) workgroups with `push` and reads act, kv, io, logits back.
  Status run(vulkan::Shader shader, std::vector<uint32_t> push, uint32_t groups_x, uint32_t groups_y, OpBuffers& b) {
    using vulkan::Buffer;
    if (!pipelines_) return internal_error("no pipelines");
    std::vector<std::pair<void*, size_t>> host = {{b.weights.data(), b.weights.size() * 4}};
    for (auto& plane : b.planes) host.push_back({plane.data(), plane.size() * 4});
    host.push_back({b.act.data(), b.act.size() * 4});
    host.push_back({b.kv.data(), b.kv.size() * 4});
    host.push_back({b.io.data(), b.io.size() * 4});
    host.push_back({b.logits.data(), b.logits.size() * 4});
    std::vector<Buffer> buffers;
    for (auto& [data, bytes] : host) {
      MOBIQ_ASSIGN_OR_RETURN(Buffer buffer, Buffer::create(*device_, bytes, vulkan::MemoryKind::kHost));
      std::memcpy(buffer.mapped(), data, bytes);
      buffers.push_back(std::move(buffer));
    }
    const VkDevice vk = device_->device();
    VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, vulkan::kBindingCount};
    VkDescriptorPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    pool_info.maxSets = 1;
    pool_info.poolSizeCount = 1;
    pool_info.pPoolSizes = &size;
    VkDescriptorPool pool = VK_NULL_HANDLE;
    MOBIQ_VK(vkCreateDescriptorPool(vk, &pool_info, nullptr, &pool));
    VkDescriptorSetAllocateInfo allocate{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    allocate.descriptorPool = pool;
    allocate.descriptorSetCount = 1;
    const VkDescriptorSetLayout layout = pipelines_->set_layout();
    allocate.pSetLayouts = &layout;
    VkDescriptorSet set = VK_NULL_HANDLE;
    Status s = vulkan::vk_status(vkAllocateDescriptorSets(vk, &allocate, &set), "vkAllocateDescriptorSets");
    if (s.ok()) {
      VkDescriptorBufferInfo infos[vulkan::kBindingCount];
      VkWriteDescriptorSet writes[vulkan::kBindingCount];
      for (uint32_t i = 0; i < vulkan::kBindingCount; ++i) {
        infos[i] = {buffers[i].handle(), 0, VK_WHOLE_SIZE};
        writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
        writes[i].dstSet = set;
        writes[i].dstBinding = i;
        writes[i].descriptorCount = 1;
        writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        writes[i].pBufferInfo = &infos[i];
      }
      vkUpdateDescriptorSets(vk, vulkan::kBindingCount, writes, 0, nullptr);
      push.resize(vulkan::kPushWords, 0);
      s = device_->run_once([&](VkCommandBuffer commands) {
        vkCmdBindPipeline(commands, VK_PIPELINE_BIND_POINT_COMPUTE, pipelines_->pipeline(shader));
        vkCmdBindDescriptorSets(commands, VK_PIPELINE_BIND_POINT_COMPUTE, pipelines_->layout(), 0, 1, &set, 0, nullptr);
        vkCmdPushConstants(commands, pipelines_->layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0, vulkan::kPushWords * 4,
                           push.data());
        vkCmdDispatch(commands, groups_x, groups_y, 1);
        VkMemoryBarrier to_host{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
        to_host.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
        to_host.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
        vkCmdPipelineBarrier(commands, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &to_host,
                             0, nullptr, 0, nullptr);
      });
    }
    vkDestroyDescriptorPool(vk, pool, nullptr);
    MOBIQ_RETURN_IF_ERROR(s);
    for (size_t i = 5; i < host.size(); ++i) std::memcpy(host[i].first, buffers[i].mapped(), host[i].second);
    return Status::Ok();
  }

 private:
  void adopt(Result<std::unique_ptr<vulkan::Pipelines>> pipelines) {
    EXPECT_TRUE(pipelines.ok()) << pipelines.status().to_string();
    if (pipelines.ok()) pipelines_ = std::move(pipelines).value();
  }

  std::shared_ptr<vulkan::VulkanDevice> device_;
  std::unique_ptr<vulkan::Pipelines> pipelines_;
};

}  // namespace mobiq::test
