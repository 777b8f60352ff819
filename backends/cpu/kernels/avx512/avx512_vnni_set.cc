#include "backends/cpu/kernels/avx2/avx2_kernels.h"
#include "backends/cpu/kernels/avx512/avx512_kernels.h"

namespace mobiq::cpu {

extern const KernelSet kAvx512VnniKernels;
const KernelSet kAvx512VnniKernels{"avx512-vnni",
                                   avx2::quantize__avx2,
                                   avx512::sliced_gemv_8x128__avx512vnni,
                                   avx512::dense_q8_gemv_8x128__avx512vnni,
                                   avx2::attend_8keys__avx2,
                                   avx2::swiglu_f32x8__avx2,
                                   avx2::argmax_f32x32__avx2};

}  // namespace mobiq::cpu
