#include "backends/vulkan/vulkan_pipelines.h"

#include <string>

#include "backends/vulkan/spirv_table.h"

namespace mobiq::vulkan {
namespace {

// In Shader's order.
const SpirvModule* const kModules[kShaderCount] = {
    &spirv::k_add,          &spirv::k_argmax,        &spirv::k_attention, &spirv::k_embed,
    &spirv::k_matmul_dense, &spirv::k_matmul_sliced, &spirv::k_rms_norm,  &spirv::k_rope_store_kv,
    &spirv::k_router,       &spirv::k_swiglu,
};

}  // namespace

Result<std::unique_ptr<Pipelines>> Pipelines::create(std::shared_ptr<VulkanDevice> device, uint32_t matmul_lanes) {
  if (matmul_lanes != 0 && matmul_lanes != 1 && matmul_lanes != 16)
    return invalid_argument("vulkan: matmul lanes must be 1 or 16, got " + std::to_string(matmul_lanes));
  std::unique_ptr<Pipelines> p(new Pipelines(std::move(device)));
  const VkDevice vk = p->device_->device();
  VkDescriptorSetLayoutBinding bindings[kBindingCount];
  for (uint32_t i = 0; i < kBindingCount; ++i)
    bindings[i] = {i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  VkDescriptorSetLayoutCreateInfo set{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  set.bindingCount = kBindingCount;
  set.pBindings = bindings;
  MOBIQ_VK(vkCreateDescriptorSetLayout(vk, &set, nullptr, &p->set_layout_));

  VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, kPushWords * 4};
  VkPipelineLayoutCreateInfo layout{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  layout.setLayoutCount = 1;
  layout.pSetLayouts = &p->set_layout_;
  layout.pushConstantRangeCount = 1;
  layout.pPushConstantRanges = &push;
  MOBIQ_VK(vkCreatePipelineLayout(vk, &layout, nullptr, &p->layout_));

  p->matmul_lanes_ = matmul_lanes != 0 ? matmul_lanes : p->device_->info().is_cpu() ? 1 : 16;
  const VkSpecializationMapEntry lanes_entry{0, 0, sizeof(uint32_t)};
  const VkSpecializationInfo specialization{1, &lanes_entry, sizeof(uint32_t), &p->matmul_lanes_};
  for (int i = 0; i < kShaderCount; ++i) {
    VkShaderModuleCreateInfo module_info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    module_info.codeSize = kModules[i]->n_words * 4;
    module_info.pCode = kModules[i]->words;
    VkShaderModule module = VK_NULL_HANDLE;
    MOBIQ_VK(vkCreateShaderModule(vk, &module_info, nullptr, &module));
    VkComputePipelineCreateInfo info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
    info.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
    info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    info.stage.module = module;
    info.stage.pName = "main";
    info.stage.pSpecializationInfo = &specialization;  // ignored by shaders without constant 0
    info.layout = p->layout_;
    const VkResult created = vkCreateComputePipelines(vk, VK_NULL_HANDLE, 1, &info, nullptr, &p->pipelines_[i]);
    vkDestroyShaderModule(vk, module, nullptr);
    MOBIQ_RETURN_IF_ERROR(vk_status(created, kModules[i]->name));
  }
  return p;
}

Pipelines::~Pipelines() {
  const VkDevice vk = device_->device();
  for (VkPipeline pipeline : pipelines_)
    if (pipeline != VK_NULL_HANDLE) vkDestroyPipeline(vk, pipeline, nullptr);
  if (layout_ != VK_NULL_HANDLE) vkDestroyPipelineLayout(vk, layout_, nullptr);
  if (set_layout_ != VK_NULL_HANDLE) vkDestroyDescriptorSetLayout(vk, set_layout_, nullptr);
}

}  // namespace mobiq::vulkan
