// The compute shaders of the Vulkan backend, compiled from backends/vulkan/shaders/*.comp to SPIR-V
// at build time (glslc) and embedded as word arrays (cmake/EmbedSpirv.cmake): no shader file ships.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mobiq::vulkan {

struct SpirvModule {
  const char* name;       // the .comp file's stem, with _subgroup / _kv16 for the variant builds
  const uint32_t* words;  // SPIR-V words
  size_t n_words;
};

namespace spirv {
// One per shader file; defined in the generated <build>/backends/vulkan/spirv/NAME.cc.
extern const SpirvModule k_add;
extern const SpirvModule k_argmax;
extern const SpirvModule k_attention;
extern const SpirvModule k_embed;
extern const SpirvModule k_matmul_dense;
extern const SpirvModule k_matmul_sliced;
extern const SpirvModule k_rms_norm;
extern const SpirvModule k_rope_store_kv;
extern const SpirvModule k_router;
extern const SpirvModule k_swiglu;
// Built with MOBIQ_SUBGROUPS: workgroup reductions through subgroup operations.
extern const SpirvModule k_attention_subgroup;
extern const SpirvModule k_rms_norm_subgroup;
extern const SpirvModule k_router_subgroup;
// Built with MOBIQ_KV_F16 (and MOBIQ_SUBGROUPS): an f16 KV cache.
extern const SpirvModule k_rope_store_kv_kv16;
extern const SpirvModule k_attention_kv16;
extern const SpirvModule k_attention_subgroup_kv16;
}  // namespace spirv

}  // namespace mobiq::vulkan
