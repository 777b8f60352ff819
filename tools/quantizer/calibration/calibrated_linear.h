// Calibrated nested slices for one linear W [out][in], fitted to the layer's output error on
// calibration activations (H = sum over tokens of x x^T, [in][in]) rather than to the weight error:
//  1. clipping: per row and group, the base range [lo, hi] is shrunk by the (alpha, beta) pair from a
//     grid that minimises sum_k err_k / err_k(unclipped), err_k = sum_i H_ii (w_k,i - w_i)^2, so every
//     slice count k = 1..4 has its say (a clipped outlier costs precision at every k);
//  2. slices fitted recursively: the base slice, then residual slice e = 1, 2, 3 quantizing what the
//     slices before it left, W - W_e, on its fixed grid (step s / 4^e, zero 1.5): k slices always refine
//     k - 1 and one scale per group serves every k;
//  3. each slice's codes chosen column by column with GPTQ error compensation (inverse-Hessian
//     updates of the columns not yet quantized, in descending order of H_ii), so each k's output error,
//     not each weight's, is minimised given the slices below it.
#pragma once

#include <cstdint>

#include "runtime/core/result.h"
#include "tools/quantizer/nested_rtn.h"

namespace mobiq {

struct CalibratedLinearOptions {
  bool clip_search = true;
  bool error_compensation = true;  // GPTQ; off: round to nearest on each slice's grid
  // Slices 0 .. compensated_slices-1 get GPTQ; finer ones round to nearest: at 6-8 bits rounding is
  // already near lossless, and compensation there only fits the calibration text.
  int compensated_slices = kMaxPlanes;
  double damp = 0.01;              // added to H's diagonal, as a fraction of its mean
  // Weight of the deeper slices' reach in each code choice: a code whose level leaves the original
  // weight farther away than the remaining slices can correct costs reach_penalty * (excess)^2 on
  // top of GPTQ's (target - level)^2. 0: plain GPTQ per slice (best at k = 1, worst at k = 4).
  float reach_penalty = 32.0f;
};

// w: [out][in] f32; hessian: [in][in], sum of x x^T over calibration tokens.
Result<NestedRtnLinear> quantize_calibrated(const float* w, int64_t out, int64_t in, const double* hessian,
                                            const CalibratedLinearOptions& options);

}  // namespace mobiq
