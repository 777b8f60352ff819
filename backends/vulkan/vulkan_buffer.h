// A VkBuffer with its own VkDeviceMemory. The backend holds a handful of large buffers (one for dense
// weights, one per slice plane, activations, KV cache, I/O), so a general sub-allocator such as VMA
// would add a dependency and buy nothing: each buffer is one allocation, far below
// maxMemoryAllocationCount, and tensors are placed inside buffers by offset (vulkan_loaded_model.h).
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <memory>

#include "backends/vulkan/vulkan_device.h"

namespace mobiq::vulkan {

enum class MemoryKind : uint8_t {
  kDevice,  // device-local; also host-visible on unified memory (integrated GPUs, CPU drivers)
  kHost,    // host-visible and coherent: inputs the host writes and outputs it reads every step
};

class Buffer {
 public:
  Buffer() = default;
  ~Buffer() { reset(); }
  Buffer(Buffer&& other) noexcept { *this = std::move(other); }
  Buffer& operator=(Buffer&& other) noexcept;

  // `size` bytes (rounded up to 16; at least 16).
  static Result<Buffer> create(const VulkanDevice& device, VkDeviceSize size, MemoryKind kind);

  VkBuffer handle() const { return buffer_; }
  VkDeviceSize size() const { return size_; }
  // The host mapping, or nullptr when the memory is not host-visible (needs a staging upload).
  uint8_t* mapped() const { return static_cast<uint8_t*>(mapped_); }
  explicit operator bool() const { return buffer_ != VK_NULL_HANDLE; }
  void reset();

 private:
  VkDevice device_ = VK_NULL_HANDLE;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  VkDeviceSize size_ = 0;
  void* mapped_ = nullptr;
};

// Fills a device buffer once (weights at load time): straight into the mapping on unified memory,
// else into a host-visible staging buffer copied over by one command on finish().
class BufferWriter {
 public:
  static Result<BufferWriter> begin(VulkanDevice& device, Buffer& target);
  void write(VkDeviceSize offset, const void* data, VkDeviceSize bytes);
  Status finish();

 private:
  VulkanDevice* device_ = nullptr;
  Buffer* target_ = nullptr;
  Buffer staging_;  // empty when the target is mapped
  uint8_t* destination_ = nullptr;
};

}  // namespace mobiq::vulkan
