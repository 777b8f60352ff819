// The NEON sets' kernels. neon-dotprod (Armv8.2-A + dotprod: sdot): translation units compiled with
// -march=armv8.2-a+dotprod. neon-i8mm (+ i8mm: smmla / usmmla for token batches; single tokens go to
// the dotprod kernels): -march=armv8.2-a+dotprod+i8mm. Declarations only: see kernel_views.h for why.
#pragma once

#include "backends/cpu/kernels/kernel_views.h"

namespace mobiq::cpu::neon {

void quantize__neon(const float* x, int64_t n, int64_t in, int8_t* codes, float* scales, int32_t* sums);
void sliced_gemv_8x128__neon_dotprod(const SlicedBlocksView& w, int k, const QuantizedView& x, int64_t block0,
                                     int64_t block1, float* y, int64_t y_stride);
void dense_q8_gemv_8x128__neon_dotprod(const DenseQ8View& w, const QuantizedView& x, int64_t block0, int64_t block1,
                                       float* y, int64_t y_stride);
void sliced_gemm_8x128__neon_i8mm(const SlicedBlocksView& w, int k, const QuantizedView& x, int64_t block0,
                                  int64_t block1, float* y, int64_t y_stride);
void dense_q8_gemm_8x128__neon_i8mm(const DenseQ8View& w, const QuantizedView& x, int64_t block0, int64_t block1,
                                    float* y, int64_t y_stride);

}  // namespace mobiq::cpu::neon
