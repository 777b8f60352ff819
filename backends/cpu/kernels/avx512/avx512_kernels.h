// The avx512-vnni set's own kernels (AVX-512 F/BW/VL + VNNI), each in its own translation unit
// compiled with those flags. Declarations only: see kernel_views.h for why no code may live in
// headers they include. The set borrows the avx2 set's quantization and f32 steps (every CPU with
// AVX-512 VNNI has AVX2), which are not where its time goes.
#pragma once

#include "backends/cpu/kernels/kernel_views.h"

namespace mobiq::cpu::avx512 {

void sliced_gemv_8x128__avx512vnni(const SlicedBlocksView& w, int k, const QuantizedView& x, int64_t block0,
                                   int64_t block1, float* y, int64_t y_stride);
void dense_q8_gemv_8x128__avx512vnni(const DenseQ8View& w, const QuantizedView& x, int64_t block0, int64_t block1,
                                     float* y, int64_t y_stride);

}  // namespace mobiq::cpu::avx512
