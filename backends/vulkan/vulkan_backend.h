// The Vulkan compute backend: the same decoder as the CPU reference, as GLSL compute shaders
// (backends/vulkan/shaders), on any device with a Vulkan driver. README.md says what is done.
#pragma once

#include <memory>
#include <string>

#include "backends/backend.h"

namespace mobiq {

namespace vulkan {
class VulkanDevice;
}

class VulkanBackend final : public Backend {
 public:
  // Device `index` (vulkan::list_devices()), or the preferred one for -1. nullptr when there is no such
  // device; with `automatic` (the `auto` choice) also when the preferred device is a CPU driver such as
  // lavapipe, which never beats the CPU backend.
  static std::unique_ptr<VulkanBackend> open(int index, bool automatic);

  const char* name() const override { return "vulkan"; }
  Status supports(const Model& model) const override;
  Result<std::shared_ptr<LoadedModel>> load(const Model& model) override;
  const std::string& device_name() const;

 private:
  explicit VulkanBackend(std::shared_ptr<vulkan::VulkanDevice> device) : device_(std::move(device)) {}
  std::shared_ptr<vulkan::VulkanDevice> device_;
};

}  // namespace mobiq
