// Every Vulkan call's VkResult turned into a Status (the library never aborts on a driver error).
#pragma once

#include <vulkan/vulkan.h>

#include <string>

#include "runtime/core/status.h"

namespace mobiq::vulkan {

inline Status vk_status(VkResult result, const char* what) {
  if (result == VK_SUCCESS) return Status::Ok();
  const std::string message = std::string("vulkan: ") + what + " failed (VkResult " + std::to_string(result) + ")";
  switch (result) {
    case VK_ERROR_OUT_OF_HOST_MEMORY:
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
      return Status(ErrorCode::kOutOfMemory, message);
    case VK_ERROR_INCOMPATIBLE_DRIVER:
    case VK_ERROR_LAYER_NOT_PRESENT:
    case VK_ERROR_EXTENSION_NOT_PRESENT:
    case VK_ERROR_FEATURE_NOT_PRESENT:
      return unsupported(message);
    default:
      return internal_error(message);
  }
}

}  // namespace mobiq::vulkan

// MOBIQ_VK(vkCreateBuffer(device, &info, nullptr, &buffer)): returns the failure as a Status.
#define MOBIQ_VK(call) MOBIQ_RETURN_IF_ERROR(::mobiq::vulkan::vk_status((call), #call))
