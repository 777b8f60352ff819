// One sequence on a Vulkan device: activation, KV-cache and I/O buffers planned once at creation, and
// the decoder step recorded once into one command buffer (vulkan_recording.h), resubmitted for every
// forward pass. Re-recording happens only when the model's plane residency changes (buffers freed or
// created); a plan or budget change writes the I/O buffer and records nothing (recordings() counts).
#pragma once

#include <memory>
#include <vector>

#include "backends/backend.h"
#include "backends/vulkan/io_layout.h"
#include "backends/vulkan/vulkan_loaded_model.h"
#include "backends/vulkan/vulkan_recording.h"

namespace mobiq::vulkan {

class VulkanExecutor final : public Executor {
 public:
  ~VulkanExecutor() override;
  static Result<std::unique_ptr<VulkanExecutor>> create(std::shared_ptr<const VulkanLoadedModel> loaded,
                                                        const ExecutorOptions& options);

  Status set_plan(const SlicePlan& plan) override;
  Status forward(std::span<const int32_t> tokens, int32_t start_position, const ForwardOutput& output) override;
  ReadStats read_stats() const override { return stats_; }
  Status read_slice_counts(std::span<uint8_t> out) const override;
  int32_t cached_positions() const override { return cached_; }
  int32_t context_size() const override { return options_.context_size; }
  int32_t max_batch() const override { return options_.max_batch; }
  Status truncate(int32_t position) override;

  // Command-buffer recordings since creation (1 after the first forward pass, until residency changes).
  int64_t recordings() const { return recordings_; }

 private:
  VulkanExecutor(std::shared_ptr<const VulkanLoadedModel> loaded, const ExecutorOptions& options);
  Status init();
  Status bind_and_record();
  // Writes the header, token ids, thresholds and (unless routed) every token's slice counts.
  void write_inputs(std::span<const int32_t> tokens, int32_t start_position, uint32_t head_first);
  void count_reads(int64_t n);

  std::shared_ptr<const VulkanLoadedModel> loaded_;
  const ModelConfig& config_;
  ExecutorOptions options_;
  ExecutorLayout layout_;
  std::vector<Dispatch> step_;
  SlicePlan plan_;
  ReadStats stats_;
  int32_t cached_ = 0;
  int64_t recorded_tokens_ = 0;
  std::vector<uint8_t> recorded_;  // [batch][layers][4] with options_.record_slices
  std::vector<double> group_weights_;  // [layers * 4] out * in summed over the group's sliced linears
  std::vector<uint8_t> group_planes_;  // [layers * 4] planes the group's linears hold (0: dense)

  Buffer activations_, kv_cache_, io_, logits_, grid_, absent_plane_;
  VkDescriptorPool descriptor_pool_ = VK_NULL_HANDLE;
  VkDescriptorSet set_ = VK_NULL_HANDLE;
  VkCommandBuffer commands_ = VK_NULL_HANDLE;
  uint64_t recorded_generation_ = ~uint64_t{0};  // the model's residency the recording binds
  int64_t recordings_ = 0;
};

}  // namespace mobiq::vulkan
