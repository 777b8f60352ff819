#include "backends/cpu/kernels/avx2/avx2_kernels.h"

namespace mobiq::cpu {

extern const KernelSet kAvx2Kernels;
const KernelSet kAvx2Kernels{"avx2",
                             avx2::quantize__avx2,
                             avx2::sliced_gemv_8x128__avx2,
                             avx2::dense_q8_gemv_8x128__avx2,
                             avx2::attend_8keys__avx2,
                             avx2::swiglu_f32x8__avx2,
                             avx2::argmax_f32x32__avx2};

}  // namespace mobiq::cpu
