// The avx2 set's kernels (AVX2 + FMA + F16C), each in its own translation unit compiled with those
// flags. Declarations only: see kernel_views.h for why no code may live in headers they include.
#pragma once

#include "backends/cpu/kernels/kernel_views.h"

namespace mobiq::cpu::avx2 {

void quantize__avx2(const float* x, int64_t n, int64_t in, int8_t* codes, float* scales, int32_t* sums);
void sliced_gemv_8x128__avx2(const SlicedBlocksView& w, int k, const QuantizedView& x, int64_t block0, int64_t block1,
                             float* y, int64_t y_stride);
void dense_q8_gemv_8x128__avx2(const DenseQ8View& w, const QuantizedView& x, int64_t block0, int64_t block1, float* y,
                               int64_t y_stride);
void attend_8keys__avx2(const float* q, const float* k, const float* v, int64_t kv_stride, int64_t n_keys, int head_dim,
                        float scale, float* scores, float* out);
void swiglu_f32x8__avx2(float* gate, const float* up, int64_t n);
int64_t argmax_f32x32__avx2(const float* x, int64_t n);

}  // namespace mobiq::cpu::avx2
