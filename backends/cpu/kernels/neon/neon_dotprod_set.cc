#include "backends/cpu/kernels/neon/neon_kernels.h"

namespace mobiq::cpu {

extern const KernelSet kNeonDotprodKernels;
const KernelSet kNeonDotprodKernels{"neon-dotprod", neon::quantize__neon, neon::sliced_gemv_8x128__neon_dotprod,
                                    neon::dense_q8_gemv_8x128__neon_dotprod};

}  // namespace mobiq::cpu
