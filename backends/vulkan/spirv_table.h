// The compute shaders of the Vulkan backend, compiled from backends/vulkan/shaders/*.comp to SPIR-V
// at build time (glslc) and embedded as word arrays (cmake/EmbedSpirv.cmake): no shader file ships.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mobiq::vulkan {

struct SpirvModule {
  const char* name;       // the .comp file's stem, _subgroup for the subgroup build
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
}  // namespace spirv

}  // namespace mobiq::vulkan
