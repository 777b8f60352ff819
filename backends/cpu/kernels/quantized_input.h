// Activations quantized to int8 once per linear input and shared by every linear that reads it
// (q/k/v, gate/up): per token and group of 128 inputs, a f32 step d = max|x| / 127, codes
// round(x / d) in [-127, 127] (never -128, so the s8 x s8 sign trick of the q8 kernels cannot
// overflow) and the sum of the codes for the zero-point term. Layout: backends/cpu/kernels/kernel_views.h.
#pragma once

#include <cstdint>

#include "backends/cpu/kernels/aligned_buffer.h"
#include "backends/cpu/kernels/kernel_views.h"
#include "runtime/core/status.h"

namespace mobiq::cpu {

class QuantizedInput {
 public:
  // Sizes the buffers for up to `max_tokens` tokens of up to `max_in` inputs, so that later
  // quantize_input calls within that size allocate nothing. Optional: quantize_input grows them.
  Status reserve(int64_t max_tokens, int64_t max_in);

  int64_t tokens() const { return tokens_; }
  int64_t in() const { return in_; }
  int64_t groups() const { return groups_; }
  QuantizedView view() const;

 private:
  friend Status quantize_input(const KernelSet& set, const float* x, int64_t n, int64_t in, QuantizedInput& out);
  AlignedBuffer codes_, scales_, sums_;
  int64_t capacity_groups_ = 0;  // tokens * groups the buffers hold
  int64_t tokens_ = 0, in_ = 0, groups_ = 0;
};

// x [n][in] f32 (row stride in) -> out. Allocates only when n * ceil(in / 128) exceeds every earlier
// size (errors: n or in < 1, out of memory).
Status quantize_input(const KernelSet& set, const float* x, int64_t n, int64_t in, QuantizedInput& out);

}  // namespace mobiq::cpu
