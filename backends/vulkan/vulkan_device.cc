#include "backends/vulkan/vulkan_device.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

namespace mobiq::vulkan {
namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

std::atomic<int64_t> g_validation_messages{0};
std::mutex g_last_message_mutex;
std::string g_last_message;

VKAPI_ATTR VkBool32 VKAPI_CALL on_validation_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                     VkDebugUtilsMessageTypeFlagsEXT,
                                                     const VkDebugUtilsMessengerCallbackDataEXT* data, void*) {
  if (severity < VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) return VK_FALSE;
  ++g_validation_messages;
  std::fprintf(stderr, "mobiq vulkan validation: %s\n", data->pMessage);
  std::lock_guard lock(g_last_message_mutex);
  g_last_message = data->pMessage;
  return VK_FALSE;
}

bool has_layer(const char* name) {
  uint32_t n = 0;
  if (vkEnumerateInstanceLayerProperties(&n, nullptr) != VK_SUCCESS) return false;
  std::vector<VkLayerProperties> layers(n);
  if (vkEnumerateInstanceLayerProperties(&n, layers.data()) != VK_SUCCESS) return false;
  for (const auto& layer : layers)
    if (std::strcmp(layer.layerName, name) == 0) return true;
  return false;
}

Status create_instance(bool validation, VkInstance* instance) {
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "mobiq";
  app.apiVersion = VK_API_VERSION_1_1;
  VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  info.pApplicationInfo = &app;
  const char* debug_utils = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
  if (validation) {
    if (!has_layer(kValidationLayer))
      return unsupported("MOBIQ_VULKAN_VALIDATION=1 but the Khronos validation layer is not installed "
                         "(Debian: vulkan-validationlayers)");
    info.enabledLayerCount = 1;
    info.ppEnabledLayerNames = &kValidationLayer;
    info.enabledExtensionCount = 1;
    info.ppEnabledExtensionNames = &debug_utils;
  }
  return vk_status(vkCreateInstance(&info, nullptr, instance), "vkCreateInstance");
}

std::vector<VkPhysicalDevice> physical_devices(VkInstance instance) {
  uint32_t n = 0;
  if (vkEnumeratePhysicalDevices(instance, &n, nullptr) != VK_SUCCESS) return {};
  std::vector<VkPhysicalDevice> devices(n);
  if (vkEnumeratePhysicalDevices(instance, &n, devices.data()) != VK_SUCCESS) return {};
  devices.resize(n);
  return devices;
}

// The first queue family with compute, or -1.
int compute_family(VkPhysicalDevice physical) {
  uint32_t n = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &n, nullptr);
  std::vector<VkQueueFamilyProperties> families(n);
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &n, families.data());
  for (uint32_t i = 0; i < n; ++i)
    if (families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) return static_cast<int>(i);
  return -1;
}

DeviceInfo describe(VkPhysicalDevice physical, int index) {
  VkPhysicalDeviceSubgroupProperties subgroups{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  VkPhysicalDeviceProperties2 p{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  p.pNext = &subgroups;
  vkGetPhysicalDeviceProperties2(physical, &p);
  VkPhysicalDevice16BitStorageFeatures storage16{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
  VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  features.pNext = &storage16;
  vkGetPhysicalDeviceFeatures2(physical, &features);
  DeviceInfo info;
  info.index = index;
  info.name = p.properties.deviceName;
  info.type = p.properties.deviceType;
  info.has_compute_queue = compute_family(physical) >= 0;
  const VkSubgroupFeatureFlags needed = VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_ARITHMETIC_BIT;
  info.features.subgroup_arithmetic = (subgroups.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) != 0 &&
                                      (subgroups.supportedOperations & needed) == needed;
  info.features.storage_16bit = storage16.storageBuffer16BitAccess == VK_TRUE;
  return info;
}

}  // namespace

const char* DeviceInfo::type_name() const {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "CPU";
    default: return "other";
  }
}

bool validation_requested() {
  const char* v = std::getenv("MOBIQ_VULKAN_VALIDATION");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

int64_t validation_message_count() { return g_validation_messages.load(); }

std::string last_validation_message() {
  std::lock_guard lock(g_last_message_mutex);
  return g_last_message;
}

std::vector<DeviceInfo> list_devices() {
  VkInstance instance = VK_NULL_HANDLE;
  if (!create_instance(false, &instance).ok()) return {};
  std::vector<DeviceInfo> infos;
  const std::vector<VkPhysicalDevice> devices = physical_devices(instance);
  for (size_t i = 0; i < devices.size(); ++i) infos.push_back(describe(devices[i], static_cast<int>(i)));
  vkDestroyInstance(instance, nullptr);
  return infos;
}

int preferred_device(const std::vector<DeviceInfo>& devices) {
  const VkPhysicalDeviceType order[] = {VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU,
                                        VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU, VK_PHYSICAL_DEVICE_TYPE_CPU,
                                        VK_PHYSICAL_DEVICE_TYPE_OTHER};
  for (VkPhysicalDeviceType type : order)
    for (const DeviceInfo& d : devices)
      if (d.type == type && d.has_compute_queue) return d.index;
  return -1;
}

Result<std::shared_ptr<VulkanDevice>> VulkanDevice::open(int index) {
  if (index < 0) {
    index = preferred_device(list_devices());
    if (index < 0) return unsupported("vulkan: no device with a compute queue");
  }
  // One open device per index per process, shared while held (opening one costs tens of milliseconds).
  static std::mutex mutex;
  static std::map<int, std::weak_ptr<VulkanDevice>> opened;
  std::lock_guard lock(mutex);
  if (std::shared_ptr<VulkanDevice> device = opened[index].lock()) return device;
  std::shared_ptr<VulkanDevice> device(new VulkanDevice());
  MOBIQ_RETURN_IF_ERROR(device->init(index));
  opened[index] = device;
  return device;
}

Status VulkanDevice::init(int index) {
  const bool validation = validation_requested();
  MOBIQ_RETURN_IF_ERROR(create_instance(validation, &instance_));
  if (validation) {
    VkDebugUtilsMessengerCreateInfoEXT info{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
    info.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    info.pfnUserCallback = on_validation_message;
    auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkCreateDebugUtilsMessengerEXT"));
    if (create == nullptr) return unsupported("vulkan: VK_EXT_debug_utils is missing with the validation layer on");
    MOBIQ_VK(create(instance_, &info, nullptr, &messenger_));
  }
  const std::vector<VkPhysicalDevice> devices = physical_devices(instance_);
  if (index >= static_cast<int>(devices.size()))
    return invalid_argument("vulkan: no device " + std::to_string(index) + " (" + std::to_string(devices.size()) +
                            " present; `mobiq devices` lists them)");
  physical_ = devices[index];
  info_ = describe(physical_, index);
  const int family = compute_family(physical_);
  if (family < 0) return unsupported("vulkan: device " + info_.name + " has no compute queue");
  queue_family_ = static_cast<uint32_t>(family);
  vkGetPhysicalDeviceProperties(physical_, &properties_);
  vkGetPhysicalDeviceMemoryProperties(physical_, &memory_);

  const float priority = 1.0f;
  VkDeviceQueueCreateInfo queue{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queue.queueFamilyIndex = queue_family_;
  queue.queueCount = 1;
  queue.pQueuePriorities = &priority;
  // Optional features the pipeline variants use, enabled where present (DeviceFeatures).
  VkPhysicalDevice16BitStorageFeatures storage16{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
  storage16.storageBuffer16BitAccess = info_.features.storage_16bit ? VK_TRUE : VK_FALSE;
  VkDeviceCreateInfo device{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  device.pNext = &storage16;
  device.queueCreateInfoCount = 1;
  device.pQueueCreateInfos = &queue;
  MOBIQ_VK(vkCreateDevice(physical_, &device, nullptr, &device_));
  vkGetDeviceQueue(device_, queue_family_, 0, &queue_);

  VkCommandPoolCreateInfo pool{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pool.queueFamilyIndex = queue_family_;
  MOBIQ_VK(vkCreateCommandPool(device_, &pool, nullptr, &pool_));
  VkFenceCreateInfo fence{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  MOBIQ_VK(vkCreateFence(device_, &fence, nullptr, &fence_));
  return Status::Ok();
}

VulkanDevice::~VulkanDevice() {
  if (device_ != VK_NULL_HANDLE) {
    vkDeviceWaitIdle(device_);
    if (fence_ != VK_NULL_HANDLE) vkDestroyFence(device_, fence_, nullptr);
    if (pool_ != VK_NULL_HANDLE) vkDestroyCommandPool(device_, pool_, nullptr);
    vkDestroyDevice(device_, nullptr);
  }
  if (messenger_ != VK_NULL_HANDLE) {
    auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy != nullptr) destroy(instance_, messenger_, nullptr);
  }
  if (instance_ != VK_NULL_HANDLE) vkDestroyInstance(instance_, nullptr);
}

Result<VkCommandBuffer> VulkanDevice::allocate_command_buffer() {
  std::lock_guard lock(submit_mutex_);
  VkCommandBufferAllocateInfo info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  info.commandPool = pool_;
  info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  info.commandBufferCount = 1;
  VkCommandBuffer commands = VK_NULL_HANDLE;
  MOBIQ_VK(vkAllocateCommandBuffers(device_, &info, &commands));
  return commands;
}

void VulkanDevice::free_command_buffer(VkCommandBuffer commands) {
  std::lock_guard lock(submit_mutex_);
  vkFreeCommandBuffers(device_, pool_, 1, &commands);
}

Status VulkanDevice::submit_and_wait(VkCommandBuffer commands) {
  std::lock_guard lock(submit_mutex_);
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &commands;
  MOBIQ_VK(vkResetFences(device_, 1, &fence_));
  MOBIQ_VK(vkQueueSubmit(queue_, 1, &submit, fence_));
  MOBIQ_VK(vkWaitForFences(device_, 1, &fence_, VK_TRUE, UINT64_MAX));
  return Status::Ok();
}

}  // namespace mobiq::vulkan
