#include "backends/cpu/kernels/neon/neon_kernels.h"

namespace mobiq::cpu {

// Token batches through the i8mm tiles, single tokens through neon-dotprod's kernels (which the
// i8mm ones call), quantization shared with neon-dotprod.
extern const KernelSet kNeonI8mmKernels;
const KernelSet kNeonI8mmKernels{"neon-i8mm", neon::quantize__neon, neon::sliced_gemm_8x128__neon_i8mm,
                                 neon::dense_q8_gemm_8x128__neon_i8mm};

}  // namespace mobiq::cpu
