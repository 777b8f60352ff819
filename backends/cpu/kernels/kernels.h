// The fast CPU kernels for sliced (and q8 dense) matmuls, with the ISA chosen at run time.
//
// Use, per linear input (a token batch x [n][in]):
//   const KernelSet& set = *best_kernel_set().value();           // once per session
//   PackedSliced w = PackedSliced::pack(linear.sliced).value();  // once per linear, at load
//   QuantizedInput xq; xq.reserve(max_tokens, max_in);            // once per session
//   quantize_input(set, x, n, in, xq);                            // once per input, shared by q/k/v
//   sliced_matmul_rows(set, w, k, xq, r0, r1, y);                 // per thread: a chunk of rows
// The math, per group g of 128 inputs with k planes: Q_k = sum_{p<k} c_p 4^(k-1-p) in [0, 4^k), and
//   y_r = sum_g s_g 4^-(k-1) d_g (dot(Q_k, xq_g) - m_k,g sum(xq_g)),
//   m_k,g = 4^(k-1) z_g + (4^(k-1) - 1) / 2,
// the dot exact in int32, one float conversion per group and row.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "backends/cpu/kernels/kernel_views.h"
#include "backends/cpu/kernels/packed_dense_q8.h"
#include "backends/cpu/kernels/packed_sliced.h"
#include "backends/cpu/kernels/quantized_input.h"
#include "runtime/core/result.h"

namespace mobiq::cpu {

// Every kernel set compiled in whose features this CPU has, best first; the portable "scalar" set is always last.
std::span<const KernelSet* const> available_kernel_sets();
// The available set called `name`. Errors: no such set in this build, or this CPU lacks its features.
Result<const KernelSet*> kernel_set_by_name(std::string_view name);
// The set named by the environment variable MOBIQ_KERNELS when it is set (its errors as above),
// else the first of available_kernel_sets().
Result<const KernelSet*> best_kernel_set();

// y[t * w.out() + r] = sum_i W_k[r][i] x[t][i] for every token t < x.tokens() and row r in [r0, r1),
// reading only planes 0..k-1. y is [x.tokens()][w.out()]; other rows are left alone, so threads may
// share y with disjoint row ranges. r0 must be a multiple of w.row_block(); r1 too, or w.out().
// Errors (nothing written): k outside 1..w.planes(), x.in() != w.in(), a bad row range.
Status sliced_matmul_rows(const KernelSet& set, const PackedSliced& w, int k, const QuantizedInput& x, int64_t r0,
                          int64_t r1, float* y);

// The same for an int8 dense matrix: y[t * w.out() + r] for r in [r0, r1).
Status dense_q8_matmul_rows(const KernelSet& set, const PackedDenseQ8& w, const QuantizedInput& x, int64_t r0,
                            int64_t r1, float* y);

}  // namespace mobiq::cpu
