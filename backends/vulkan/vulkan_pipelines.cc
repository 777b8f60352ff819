#include "backends/vulkan/vulkan_pipelines.h"

#include <cstddef>
#include <string>

#include "backends/vulkan/spirv_table.h"

namespace mobiq::vulkan {
namespace {

// In Shader's order (a matmul's tiled pipeline is the same module, specialized).
const SpirvModule* const kModules[kShaderCount] = {
    &spirv::k_add,           &spirv::k_argmax,         &spirv::k_attention,      &spirv::k_embed,
    &spirv::k_matmul_dense,  &spirv::k_matmul_dense,   &spirv::k_matmul_sliced,  &spirv::k_matmul_sliced,
    &spirv::k_rms_norm,      &spirv::k_rope_store_kv,  &spirv::k_router,         &spirv::k_swiglu,
};

// The build of `shader` for the variants in `o` (the plain one where it has no such variant).
const SpirvModule* module_for(Shader shader, const PipelineOptions& o) {
  switch (shader) {
    case Shader::kAttention:
      if (o.kv_f16) return o.subgroup_reductions ? &spirv::k_attention_subgroup_kv16 : &spirv::k_attention_kv16;
      return o.subgroup_reductions ? &spirv::k_attention_subgroup : &spirv::k_attention;
    case Shader::kRmsNorm: return o.subgroup_reductions ? &spirv::k_rms_norm_subgroup : &spirv::k_rms_norm;
    case Shader::kRouter: return o.subgroup_reductions ? &spirv::k_router_subgroup : &spirv::k_router;
    case Shader::kRopeStoreKv: return o.kv_f16 ? &spirv::k_rope_store_kv_kv16 : &spirv::k_rope_store_kv;
    default: return kModules[static_cast<int>(shader)];
  }
}

Status check_split(const MatmulSplit& s, const char* what) {
  const bool lanes_ok = s.lanes >= 1 && s.lanes <= 64 && (s.lanes & (s.lanes - 1)) == 0;
  if (!lanes_ok || s.rows < 1 || s.rows > 8 || s.tile < 1 || s.tile > 16)
    return invalid_argument(std::string("vulkan: ") + what + " split of " + std::to_string(s.lanes) + " lanes, " +
                            std::to_string(s.rows) + " rows, " + std::to_string(s.tile) +
                            " tokens is outside 1..64 (a power of two), 1..8, 1..16");
  return Status::Ok();
}

}  // namespace

PipelineOptions PipelineOptions::for_device(const DeviceInfo& device) {
  PipelineOptions o;
  if (device.is_cpu()) {
    o.gemv = {1, 4, 1};
    o.gemm = {1, 4, 8};
  } else {
    o.gemv = {16, 1, 1};
    o.gemm = {16, 2, 4};
    o.subgroup_reductions = device.features.subgroup_arithmetic;
    o.kv_f16 = device.features.storage_16bit;
  }
  return o;
}

Result<std::unique_ptr<Pipelines>> Pipelines::create(std::shared_ptr<VulkanDevice> device) {
  const PipelineOptions options = PipelineOptions::for_device(device->info());
  return create(std::move(device), options);
}

Result<std::unique_ptr<Pipelines>> Pipelines::create(std::shared_ptr<VulkanDevice> device, const PipelineOptions& options) {
  MOBIQ_RETURN_IF_ERROR(check_split(options.gemv, "GEMV"));
  MOBIQ_RETURN_IF_ERROR(check_split(options.gemm, "GEMM"));
  if (options.gemv.tile != 1) return invalid_argument("vulkan: the GEMV split computes one token per invocation");
  if (options.subgroup_reductions && !device->info().features.subgroup_arithmetic)
    return unsupported("vulkan: " + device->info().name + " has no subgroup arithmetic in compute shaders");
  if (options.kv_f16 && !device->info().features.storage_16bit)
    return unsupported("vulkan: " + device->info().name + " has no 16-bit storage for an f16 KV cache");
  std::unique_ptr<Pipelines> p(new Pipelines(std::move(device), options));
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

  const VkSpecializationMapEntry entries[3] = {{0, offsetof(MatmulSplit, lanes), sizeof(uint32_t)},
                                               {1, offsetof(MatmulSplit, tile), sizeof(uint32_t)},
                                               {2, offsetof(MatmulSplit, rows), sizeof(uint32_t)}};
  for (int i = 0; i < kShaderCount; ++i) {
    const Shader shader = static_cast<Shader>(i);
    const MatmulSplit& split = p->split(shader);
    const VkSpecializationInfo specialization{3, entries, sizeof(MatmulSplit), &split};
    const SpirvModule* spirv = module_for(shader, options);
    VkShaderModuleCreateInfo module_info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    module_info.codeSize = spirv->n_words * 4;
    module_info.pCode = spirv->words;
    VkShaderModule module = VK_NULL_HANDLE;
    MOBIQ_VK(vkCreateShaderModule(vk, &module_info, nullptr, &module));
    VkComputePipelineCreateInfo info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
    info.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
    info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    info.stage.module = module;
    info.stage.pName = "main";
    info.stage.pSpecializationInfo = &specialization;  // ignored by shaders without these constants
    info.layout = p->layout_;
    const VkResult created = vkCreateComputePipelines(vk, VK_NULL_HANDLE, 1, &info, nullptr, &p->pipelines_[i]);
    vkDestroyShaderModule(vk, module, nullptr);
    MOBIQ_RETURN_IF_ERROR(vk_status(created, spirv->name));
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
