#include "backends/vulkan/vulkan_backend.h"

#include <string>

#include "backends/vulkan/vulkan_device.h"
#include "backends/vulkan/vulkan_loaded_model.h"

namespace mobiq {

std::unique_ptr<VulkanBackend> VulkanBackend::open(int index, bool automatic) {
  const std::vector<vulkan::DeviceInfo> devices = vulkan::list_devices();
  if (index < 0) index = vulkan::preferred_device(devices);
  if (index < 0 || index >= static_cast<int>(devices.size())) return nullptr;
  if (automatic && devices[index].is_cpu()) return nullptr;
  auto device = vulkan::VulkanDevice::open(index);
  if (!device.ok()) return nullptr;
  return std::unique_ptr<VulkanBackend>(new VulkanBackend(std::move(device).value()));
}

const std::string& VulkanBackend::device_name() const { return device_->info().name; }

Status VulkanBackend::supports(const Model& model) const {
  const ModelConfig& c = model.config();
  if (c.head_dim % 4 != 0)
    return unsupported("head_dim " + std::to_string(c.head_dim) + " is not a multiple of 4 (attention.comp reads 16 bytes)");
  if (c.head_dim > 256) return unsupported("head_dim " + std::to_string(c.head_dim) + " > 256 (attention.comp)");
  if (c.n_kv_heads <= 0 || c.n_heads % c.n_kv_heads != 0)
    return unsupported("attention heads (" + std::to_string(c.n_heads) + ") not a multiple of kv heads (" +
                       std::to_string(c.n_kv_heads) + ")");
  if (static_cast<int>(model.weights().layers.size()) != c.n_layers)
    return internal_error("model has " + std::to_string(model.weights().layers.size()) + " layers, config says " +
                          std::to_string(c.n_layers));
  // The shaders read f32, f16 and bf16 dense tensors; an 8-bit embedding or head (mobiq quantize
  // --dense q8) would be read as garbage, so such a file runs on another backend.
  const ModelWeights& w = model.weights();
  for (const DenseTensor* t : {&w.token_embedding, &w.output})
    if (t->dtype == DType::kQ8)
      return unsupported("8-bit (q8) embedding or output head: not implemented by the Vulkan shaders yet");
  for (const LayerWeights& layer : model.weights().layers)
    for (const RouterWeights& router : layer.routers)
      if (router.hidden > 256) return unsupported("router hidden width " + std::to_string(router.hidden) + " > 256");
  return Status::Ok();
}

Result<std::shared_ptr<LoadedModel>> VulkanBackend::load(const Model& model) {
  MOBIQ_RETURN_IF_ERROR(supports(model));
  MOBIQ_ASSIGN_OR_RETURN(std::shared_ptr<vulkan::VulkanLoadedModel> loaded, vulkan::VulkanLoadedModel::load(model, device_));
  return std::shared_ptr<LoadedModel>(std::move(loaded));
}

}  // namespace mobiq
