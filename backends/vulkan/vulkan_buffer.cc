#include "backends/vulkan/vulkan_buffer.h"

#include <cstring>
#include <string>
#include <utility>

namespace mobiq::vulkan {
namespace {

// A memory type allowed by `bits` with all of `required`, preferring one that also has `preferred`.
int find_memory_type(const VkPhysicalDeviceMemoryProperties& memory, uint32_t bits, VkMemoryPropertyFlags required,
                     VkMemoryPropertyFlags preferred) {
  int fallback = -1;
  for (uint32_t i = 0; i < memory.memoryTypeCount; ++i) {
    if (!(bits & (1u << i))) continue;
    const VkMemoryPropertyFlags flags = memory.memoryTypes[i].propertyFlags;
    if ((flags & required) != required) continue;
    if ((flags & preferred) == preferred) return static_cast<int>(i);
    if (fallback < 0) fallback = static_cast<int>(i);
  }
  return fallback;
}

bool unified_memory_device(const VulkanDevice& device) {
  const VkPhysicalDeviceType type = device.info().type;
  return type == VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU || type == VK_PHYSICAL_DEVICE_TYPE_CPU;
}

}  // namespace

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    reset();
    device_ = std::exchange(other.device_, VK_NULL_HANDLE);
    buffer_ = std::exchange(other.buffer_, VK_NULL_HANDLE);
    memory_ = std::exchange(other.memory_, VK_NULL_HANDLE);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, nullptr);
  }
  return *this;
}

void Buffer::reset() {
  if (device_ == VK_NULL_HANDLE) return;
  if (mapped_ != nullptr) vkUnmapMemory(device_, memory_);
  if (buffer_ != VK_NULL_HANDLE) vkDestroyBuffer(device_, buffer_, nullptr);
  if (memory_ != VK_NULL_HANDLE) vkFreeMemory(device_, memory_, nullptr);
  device_ = VK_NULL_HANDLE;
  buffer_ = VK_NULL_HANDLE;
  memory_ = VK_NULL_HANDLE;
  size_ = 0;
  mapped_ = nullptr;
}

Result<Buffer> Buffer::create(const VulkanDevice& device, VkDeviceSize size, MemoryKind kind) {
  size = std::max<VkDeviceSize>(16, (size + 15) / 16 * 16);
  Buffer b;
  b.device_ = device.device();
  b.size_ = size;
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = size;
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT |
               VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  MOBIQ_VK(vkCreateBuffer(b.device_, &info, nullptr, &b.buffer_));
  VkMemoryRequirements needs;
  vkGetBufferMemoryRequirements(b.device_, b.buffer_, &needs);
  constexpr VkMemoryPropertyFlags kHostFlags = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  int type = -1;
  if (kind == MemoryKind::kHost) {
    type = find_memory_type(device.memory(), needs.memoryTypeBits, kHostFlags, VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
  } else {
    if (unified_memory_device(device))
      type = find_memory_type(device.memory(), needs.memoryTypeBits,
                              VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | kHostFlags, 0);
    if (type < 0)
      type = find_memory_type(device.memory(), needs.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0);
  }
  if (type < 0) return unsupported("vulkan: no memory type for a buffer of " + std::to_string(size) + " bytes");
  VkMemoryAllocateInfo allocate{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  allocate.allocationSize = needs.size;
  allocate.memoryTypeIndex = static_cast<uint32_t>(type);
  MOBIQ_VK(vkAllocateMemory(b.device_, &allocate, nullptr, &b.memory_));
  MOBIQ_VK(vkBindBufferMemory(b.device_, b.buffer_, b.memory_, 0));
  if ((device.memory().memoryTypes[type].propertyFlags & kHostFlags) == kHostFlags)
    MOBIQ_VK(vkMapMemory(b.device_, b.memory_, 0, VK_WHOLE_SIZE, 0, &b.mapped_));
  return b;
}

Result<BufferWriter> BufferWriter::begin(VulkanDevice& device, Buffer& target) {
  BufferWriter w;
  w.device_ = &device;
  w.target_ = &target;
  if (target.mapped() != nullptr) {
    w.destination_ = target.mapped();
  } else {
    MOBIQ_ASSIGN_OR_RETURN(w.staging_, Buffer::create(device, target.size(), MemoryKind::kHost));
    w.destination_ = w.staging_.mapped();
  }
  return w;
}

void BufferWriter::write(VkDeviceSize offset, const void* data, VkDeviceSize bytes) {
  std::memcpy(destination_ + offset, data, bytes);
}

Status BufferWriter::finish() {
  if (!staging_) return Status::Ok();
  const VkBuffer from = staging_.handle(), to = target_->handle();
  const VkDeviceSize size = target_->size();
  MOBIQ_RETURN_IF_ERROR(device_->run_once([&](VkCommandBuffer commands) {
    VkBufferCopy copy{0, 0, size};
    vkCmdCopyBuffer(commands, from, to, 1, &copy);
  }));
  staging_.reset();
  return Status::Ok();
}

}  // namespace mobiq::vulkan
