// The Vulkan device the tests run on: skipped with a visible message where no Vulkan device exists,
// failed instead when MOBIQ_REQUIRE_VULKAN=1 (CI sets it, so the backend is exercised on every change).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "backends/vulkan/vulkan_device.h"

namespace mobiq::test {

inline bool vulkan_required() {
  const char* v = std::getenv("MOBIQ_REQUIRE_VULKAN");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

// In a TEST body: `auto device = ...; MOBIQ_VULKAN_DEVICE_OR_SKIP(device);`
#define MOBIQ_VULKAN_DEVICE_OR_SKIP(device)                                                          \
  auto device##_result = ::mobiq::vulkan::VulkanDevice::open(-1);                                   \
  if (!device##_result.ok()) {                                                                      \
    if (::mobiq::test::vulkan_required())                                                           \
      FAIL() << "MOBIQ_REQUIRE_VULKAN=1 but no Vulkan device: " << device##_result.status().to_string(); \
    GTEST_SKIP() << "SKIPPED: no Vulkan device (" << device##_result.status().to_string()            \
                 << "); install mesa-vulkan-drivers for lavapipe";                                  \
  }                                                                                                 \
  std::shared_ptr<::mobiq::vulkan::VulkanDevice> device = std::move(device##_result).value()

}  // namespace mobiq::test
