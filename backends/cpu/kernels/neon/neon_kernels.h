// The neon-dotprod set's kernels (Armv8.2-A + dotprod: sdot), each translation unit compiled with
// -march=armv8.2-a+dotprod. Declarations only: see kernel_views.h for why.
#pragma once

#include "backends/cpu/kernels/kernel_views.h"

namespace mobiq::cpu::neon {

void quantize__neon(const float* x, int64_t n, int64_t in, int8_t* codes, float* scales, int32_t* sums);
void sliced_gemv_8x128__neon_dotprod(const SlicedBlocksView& w, int k, const QuantizedView& x, int64_t block0,
                                     int64_t block1, float* y, int64_t y_stride);
void dense_q8_gemv_8x128__neon_dotprod(const DenseQ8View& w, const QuantizedView& x, int64_t block0, int64_t block1,
                                       float* y, int64_t y_stride);

}  // namespace mobiq::cpu::neon
