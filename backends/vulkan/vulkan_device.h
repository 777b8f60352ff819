// One Vulkan device opened for compute: instance (with the Khronos validation layer when asked for),
// the chosen physical device, a compute queue and a command pool. Shared by every model loaded on it.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backends/vulkan/vk_status.h"
#include "runtime/core/result.h"

namespace mobiq::vulkan {

// What a device offers that pipeline variants use (vulkan_pipelines.h chooses them).
struct DeviceFeatures {
  bool subgroup_arithmetic = false;  // subgroupAdd / subgroupMax in compute shaders
  bool storage_16bit = false;        // 16-bit values in storage buffers (enabled where present)
};

// A physical device as `mobiq devices` and device selection see it.
struct DeviceInfo {
  int index = 0;  // position in vkEnumeratePhysicalDevices' order (what --device N means)
  std::string name;
  VkPhysicalDeviceType type = VK_PHYSICAL_DEVICE_TYPE_OTHER;
  bool has_compute_queue = false;
  DeviceFeatures features;
  bool is_cpu() const { return type == VK_PHYSICAL_DEVICE_TYPE_CPU; }
  const char* type_name() const;
};

// The validation layer is on when MOBIQ_VULKAN_VALIDATION=1 (tests set it). Every message it sends
// is counted here, so a test can fail on any.
bool validation_requested();
int64_t validation_message_count();
std::string last_validation_message();

// Devices the Vulkan loader reports (empty when there is no loader, driver or device).
std::vector<DeviceInfo> list_devices();

// The device `mobiq` picks: discrete GPU, else integrated, else virtual, else a CPU driver (lavapipe);
// -1 when none has a compute queue.
int preferred_device(const std::vector<DeviceInfo>& devices);

class VulkanDevice {
 public:
  ~VulkanDevice();
  VulkanDevice(const VulkanDevice&) = delete;
  VulkanDevice& operator=(const VulkanDevice&) = delete;

  // Device `index` (list_devices()), or the preferred one for -1. Devices are opened once per process
  // and shared while anyone holds them.
  static Result<std::shared_ptr<VulkanDevice>> open(int index);

  const DeviceInfo& info() const { return info_; }
  // True when the validation layer and its message counter are on for this device.
  bool validating() const { return messenger_ != VK_NULL_HANDLE; }
  VkDevice device() const { return device_; }
  VkPhysicalDevice physical() const { return physical_; }
  const VkPhysicalDeviceLimits& limits() const { return properties_.limits; }
  const VkPhysicalDeviceMemoryProperties& memory() const { return memory_; }

  // Runs `record` on a one-time command buffer and waits for it (uploads at load time).
  template <typename Record>
  Status run_once(const Record& record);
  // Submits a recorded command buffer and waits for it to finish.
  Status submit_and_wait(VkCommandBuffer commands);
  Result<VkCommandBuffer> allocate_command_buffer();
  void free_command_buffer(VkCommandBuffer commands);

 private:
  VulkanDevice() = default;
  Status init(int index);

  DeviceInfo info_;
  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  VkPhysicalDeviceProperties properties_{};
  VkPhysicalDeviceMemoryProperties memory_{};
  VkDevice device_ = VK_NULL_HANDLE;
  uint32_t queue_family_ = 0;
  VkQueue queue_ = VK_NULL_HANDLE;
  VkCommandPool pool_ = VK_NULL_HANDLE;
  VkFence fence_ = VK_NULL_HANDLE;
  std::mutex submit_mutex_;  // the queue, pool and fence are shared by every executor of the device
};

template <typename Record>
Status VulkanDevice::run_once(const Record& record) {
  MOBIQ_ASSIGN_OR_RETURN(VkCommandBuffer commands, allocate_command_buffer());
  VkCommandBufferBeginInfo begin{};
  begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  Status s = vk_status(vkBeginCommandBuffer(commands, &begin), "vkBeginCommandBuffer");
  if (s.ok()) {
    record(commands);
    s = vk_status(vkEndCommandBuffer(commands), "vkEndCommandBuffer");
  }
  if (s.ok()) s = submit_and_wait(commands);
  free_command_buffer(commands);
  return s;
}

}  // namespace mobiq::vulkan
