// The int8 path of one group of linears that share an input (q|k|v, o, gate|up, down): the input is
// quantized once for all of them and one parallel job covers the row blocks of every linear in the
// group, so a decode step pays one fork/join per group, not one per linear.
#pragma once

#include <cstdint>
#include <span>

#include "backends/cpu/kernels/kernels.h"
#include "runtime/core/thread_pool.h"

namespace mobiq::cpu {

// y[i] = W_i,k x for every linear i, all n tokens reading k planes. x: [n][in]; y[i]: [n][W_i.out()].
Status sliced_group_matmul(const KernelSet& set, std::span<const PackedSliced* const> linears,
                           std::span<float* const> y, int k, const float* x, int64_t n, int64_t in,
                           QuantizedInput& xq, ThreadPool& pool);

// logits = W x for an 8-bit head, x [n][in] -> y [n][W.out()].
Status dense_q8_matmul(const KernelSet& set, const PackedDenseQ8& w, const float* x, int64_t n, float* y,
                       QuantizedInput& xq, ThreadPool& pool);

}  // namespace mobiq::cpu
