#include "tools/quantizer/calibration/calibrated_linear.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "runtime/core/half.h"
#include "tools/quantizer/calibration/cholesky.h"

namespace mobiq {
namespace {

constexpr float kClipRatios[] = {1.0f, 0.95f, 0.9f, 0.85f, 0.8f, 0.75f, 0.7f, 0.65f, 0.6f, 0.5f};

// One group's base-slice parameters: levels s (c - z), c = 0..3, at the centres of four equal buckets
// spanning [lo, hi], both stored as f16 (s rounded up so the buckets still span the range).
struct GroupGrid {
  float s = 0.0f;
  float z = 0.0f;
};

GroupGrid grid_for_range(float lo, float hi) {
  GroupGrid g;
  if (!(hi > lo)) return g;  // lo = hi = 0 (the range holds 0): a group of zeros, s = 0
  uint16_t s16 = f32_to_f16((hi - lo) / 4.0f);
  if (f16_to_f32(s16) < (hi - lo) / 4.0f) ++s16;
  g.s = f16_to_f32(s16);
  g.z = f16_to_f32(f32_to_f16(-lo / g.s - 0.5f));
  return g;
}

// Slice e's code for value v (what the slices below it left, e >= 1, or the weight itself, e = 0).
inline int slice_code(float v, const GroupGrid& g, int e) {
  if (g.s == 0.0f) return 0;  // a group of zeros
  const float step = g.s / static_cast<float>(1 << (2 * e));
  const float zero = e == 0 ? g.z : kResidualZero;
  return static_cast<int>(std::clamp(std::nearbyint(v / step + zero), 0.0f, 3.0f));
}
inline float slice_value(int code, const GroupGrid& g, int e) {
  const float step = g.s / static_cast<float>(1 << (2 * e));
  const float zero = e == 0 ? g.z : kResidualZero;
  return (static_cast<float>(code) - zero) * step;
}

// sum_k err_k / reference_k for one group under grid g, recursive round-to-nearest.
void group_errors(const float* w, const double* h_diag, int64_t n, const GroupGrid& g, double err[kMaxPlanes]) {
  for (int k = 0; k < kMaxPlanes; ++k) err[k] = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    float approx = 0.0f;
    for (int e = 0; e < kMaxPlanes; ++e) {
      approx += slice_value(slice_code(w[i] - approx, g, e), g, e);
      const double d = static_cast<double>(approx) - w[i];
      err[e] += h_diag[i] * d * d;
    }
  }
}

GroupGrid search_clipping(const float* w, const double* h_diag, int64_t n, bool search) {
  float lo = 0.0f, hi = 0.0f;  // the range always holds 0, as in nested RTN
  for (int64_t i = 0; i < n; ++i) {
    lo = std::min(lo, w[i]);
    hi = std::max(hi, w[i]);
  }
  GroupGrid best = grid_for_range(lo, hi);
  if (!search || best.s == 0.0f) return best;
  double reference[kMaxPlanes];
  group_errors(w, h_diag, n, best, reference);
  double best_cost = 0.0;
  for (double r : reference) best_cost += r > 0 ? 1.0 : 0.0;
  for (float alpha : kClipRatios)
    for (float beta : kClipRatios) {
      const GroupGrid g = grid_for_range(alpha * lo, beta * hi);
      if (g.s == 0.0f) continue;
      double err[kMaxPlanes], cost = 0.0;
      group_errors(w, h_diag, n, g, err);
      for (int k = 0; k < kMaxPlanes; ++k) cost += reference[k] > 0 ? err[k] / reference[k] : 0.0;
      if (cost < best_cost) {
        best_cost = cost;
        best = g;
      }
    }
  return best;
}

// Slice e's code for a compensated target t, where `left` is what the original weight still needs
// from slices e and deeper: GPTQ's nearest level to t, unless that level leaves more than the deeper
// slices can still correct (half of slice e's step), which costs reach_penalty * excess^2.
inline int choose_code(float t, float left, const GroupGrid& g, int e, float reach_penalty) {
  const int nearest = slice_code(t, g, e);
  if (reach_penalty <= 0.0f || g.s == 0.0f) return nearest;
  const float reach = 0.5f * g.s / static_cast<float>(1 << (2 * e));
  int best = nearest;
  float best_cost = std::numeric_limits<float>::max();
  for (int c = 0; c < 4; ++c) {
    const float v = slice_value(c, g, e);
    const float excess = std::max(0.0f, std::fabs(left - v) - reach);
    const float cost = (t - v) * (t - v) + reach_penalty * excess * excess;
    if (cost < best_cost) best_cost = cost, best = c;
  }
  return best;
}

// Fits slice e of every weight: codes[r][i] for the residual target W - approx, column by column in
// `order`, GPTQ-compensating the columns still ahead with the upper factor u of inverse(H)
// (permuted to `order`), then adds the slice's values to approx.
void fit_slice(const float* w, int64_t out, int64_t in, const std::vector<GroupGrid>& grids, int e,
               const std::vector<int64_t>& order, const std::vector<double>* u, float reach_penalty,
               std::vector<float>& approx, std::vector<uint8_t>& codes) {
  const int64_t groups = n_groups(in);
  // target[j][r]: the residual of column order[j], transposed so a column is contiguous.
  std::vector<float> target(in * out);
  for (int64_t j = 0; j < in; ++j)
    for (int64_t r = 0; r < out; ++r) target[j * out + r] = w[r * in + order[j]] - approx[r * in + order[j]];
  std::vector<float> err(out);
  for (int64_t j = 0; j < in; ++j) {
    const int64_t col = order[j];
    float* t = target.data() + j * out;
    for (int64_t r = 0; r < out; ++r) {
      const GroupGrid& g = grids[r * groups + col / kGroupSize];
      const int c = choose_code(t[r], w[r * in + col] - approx[r * in + col], g, e, reach_penalty);
      codes[r * in + col] = static_cast<uint8_t>(c);
      const float value = slice_value(c, g, e);
      approx[r * in + col] += value;
      err[r] = t[r] - value;
    }
    if (u == nullptr) continue;
    const double* u_row = u->data() + j * in;
    for (int64_t r = 0; r < out; ++r) err[r] = static_cast<float>(err[r] / u_row[j]);
    for (int64_t k = j + 1; k < in; ++k) {
      const float f = static_cast<float>(u_row[k]);
      float* tk = target.data() + k * out;
      for (int64_t r = 0; r < out; ++r) tk[r] -= f * err[r];
    }
  }
}

}  // namespace

Result<NestedRtnLinear> quantize_calibrated(const float* w, int64_t out, int64_t in, const double* hessian,
                                            const CalibratedLinearOptions& options) {
  if (out <= 0 || in <= 0) return invalid_argument("linear shape must be positive");
  for (int64_t i = 0; i < out * in; ++i)
    if (!std::isfinite(w[i])) return invalid_argument("non-finite weight at row " + std::to_string(i / in));
  std::vector<double> h_diag(in);
  for (int64_t i = 0; i < in; ++i) h_diag[i] = hessian[i * in + i];

  const int64_t groups = n_groups(in);
  std::vector<GroupGrid> grids(out * groups);
  for (int64_t r = 0; r < out; ++r)
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t col0 = g * kGroupSize, n = std::min<int64_t>(kGroupSize, in - col0);
      grids[r * groups + g] = search_clipping(w + r * in + col0, h_diag.data() + col0, n, options.clip_search);
    }

  // Columns in descending order of H_ii ("act order"): the most active inputs are fitted first, so the
  // compensation of their errors lands on the quieter ones.
  std::vector<int64_t> order(in);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return h_diag[a] > h_diag[b]; });

  std::vector<double> u;
  if (options.error_compensation) {
    double mean_diag = 0.0;
    for (double d : h_diag) mean_diag += d;
    mean_diag /= static_cast<double>(in);
    std::vector<double> permuted(in * in);
    for (int64_t i = 0; i < in; ++i)
      for (int64_t j = 0; j < in; ++j) permuted[i * in + j] = hessian[order[i] * in + order[j]];
    for (int64_t i = 0; i < in; ++i) {
      if (permuted[i * in + i] == 0.0) permuted[i * in + i] = 1.0;  // an input never active
      permuted[i * in + i] += options.damp * std::max(mean_diag, 1e-12);
    }
    MOBIQ_RETURN_IF_ERROR(inverse_cholesky_upper(std::move(permuted), in, u));
  }

  NestedRtnLinear q;
  q.out = out;
  q.in = in;
  std::vector<float> approx(out * in, 0.0f);
  std::vector<uint8_t> codes(out * in);
  const int64_t row_bytes = packed_row_bytes(in);
  for (int e = 0; e < kMaxPlanes; ++e) {
    const bool compensate = options.error_compensation && e < options.compensated_slices;
    fit_slice(w, out, in, grids, e, order, compensate ? &u : nullptr, options.reach_penalty, approx, codes);
    q.planes[e].assign(out * row_bytes, 0);
    for (int64_t r = 0; r < out; ++r)
      for (int64_t i = 0; i < in; ++i) q.planes[e][r * row_bytes + i / 4] |= static_cast<uint8_t>(codes[r * in + i] << (2 * (i % 4)));
  }
  q.scales.resize(out * groups);
  q.zeros.resize(out * groups);
  for (int64_t i = 0; i < out * groups; ++i) {
    q.scales[i] = f32_to_f16(grids[i].s);
    q.zeros[i] = f32_to_f16(grids[i].z);
  }
  return q;
}

}  // namespace mobiq
