// Calibrated slices on synthetic weights and activations: the layout's nesting holds, each slice
// count's output error falls with k, GPTQ beats round-to-nearest at the base slice on correlated
// inputs, and the reach penalty keeps the full-precision reconstruction close to the weights.
#include "tools/quantizer/calibration/calibrated_linear.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "runtime/core/half.h"
#include "tools/quantizer/calibration/cholesky.h"

namespace mobiq {
namespace {

struct Problem {
  int64_t out, in;
  std::vector<float> w;       // [out][in]
  std::vector<float> x;       // [tokens][in] correlated activations with a few loud channels
  std::vector<double> h;      // [in][in] = sum x x^T
  int64_t tokens;
};

Problem make_problem(int64_t out, int64_t in, uint32_t seed) {
  Problem p{out, in, {}, {}, {}, 4 * in};
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  p.w.resize(out * in);
  for (auto& v : p.w) v = 0.05f * normal(rng);
  std::vector<float> mix(in * in);  // correlation between channels
  for (auto& v : mix) v = normal(rng) / std::sqrt(static_cast<float>(in));
  p.x.resize(p.tokens * in);
  for (int64_t t = 0; t < p.tokens; ++t) {
    std::vector<float> z(in);
    for (auto& v : z) v = normal(rng);
    for (int64_t i = 0; i < in; ++i) {
      float s = z[i];
      for (int64_t j = 0; j < in; ++j) s += 0.5f * mix[i * in + j] * z[j];
      p.x[t * in + i] = s * (i % 17 == 0 ? 6.0f : 1.0f);  // loud channels
    }
  }
  p.h.assign(in * in, 0.0);
  for (int64_t t = 0; t < p.tokens; ++t)
    for (int64_t i = 0; i < in; ++i)
      for (int64_t j = 0; j < in; ++j) p.h[i * in + j] += static_cast<double>(p.x[t * in + i]) * p.x[t * in + j];
  return p;
}

// sum over tokens and rows of ((W_k - W) x)^2
double output_error(const Problem& p, const NestedRtnLinear& q, int k) {
  std::vector<float> wk(p.out * p.in);
  dequantize_sliced(q.view(), k, wk.data());
  double total = 0.0;
  for (int64_t t = 0; t < p.tokens; ++t)
    for (int64_t r = 0; r < p.out; ++r) {
      double y = 0.0;
      for (int64_t i = 0; i < p.in; ++i) y += (static_cast<double>(wk[r * p.in + i]) - p.w[r * p.in + i]) * p.x[t * p.in + i];
      total += y * y;
    }
  return total;
}

TEST(InverseCholesky, UpperFactorOfTheInverse) {
  const Problem p = make_problem(1, 40, 3);
  std::vector<double> a = p.h;
  for (int64_t i = 0; i < 40; ++i) a[i * 40 + i] += 1.0;
  std::vector<double> u;
  ASSERT_TRUE(inverse_cholesky_upper(a, 40, u).ok());
  // (U^T U) A = I
  for (int64_t i = 0; i < 40; ++i)
    for (int64_t j = 0; j < 40; ++j) {
      double s = 0.0;
      for (int64_t k = 0; k < 40; ++k) {
        double inv_ik = 0.0;
        for (int64_t m = 0; m < 40; ++m) inv_ik += u[m * 40 + i] * u[m * 40 + k];
        s += inv_ik * a[k * 40 + j];
      }
      EXPECT_NEAR(s, i == j ? 1.0 : 0.0, 1e-8) << i << "," << j;
    }
  std::vector<double> not_spd = {1.0, 2.0, 2.0, 1.0};
  EXPECT_EQ(inverse_cholesky_upper(not_spd, 2, u).code(), ErrorCode::kInvalidArgument);
}

TEST(CalibratedLinear, NestingHoldsAndErrorFallsWithEverySlice) {
  const Problem p = make_problem(24, 200, 7);  // 200: a partial last group
  auto q = quantize_calibrated(p.w.data(), p.out, p.in, p.h.data(), {});
  ASSERT_TRUE(q.ok()) << q.status().to_string();
  double previous = 1e300;
  for (int k = 1; k <= kMaxPlanes; ++k) {
    const double err = output_error(p, *q, k);
    EXPECT_LT(err, previous) << "k=" << k;
    previous = err;
  }
  // Reading k planes is the layout's formula on the first k codes: dequantize_sliced implements it, so
  // check one weight by hand.
  const SlicedTensor v = q->view();
  uint8_t codes[kMaxPlanes];
  for (int p2 = 0; p2 < kMaxPlanes; ++p2) codes[p2] = packed_code(v.planes[p2] + 5 * packed_row_bytes(p.in), 131);
  std::vector<float> w2(p.out * p.in);
  dequantize_sliced(v, 2, w2.data());
  const int64_t group = 5 * n_groups(p.in) + 1;
  EXPECT_FLOAT_EQ(w2[5 * p.in + 131], reconstruct_weight(codes, 2, f16_to_f32(v.scales[group]), f16_to_f32(v.zeros[group])));
}

TEST(CalibratedLinear, CompensationBeatsRoundToNearestAtTheBaseSlice) {
  const Problem p = make_problem(32, 256, 11);
  CalibratedLinearOptions rtn;
  rtn.error_compensation = false;
  rtn.clip_search = false;
  CalibratedLinearOptions pure_gptq;
  pure_gptq.reach_penalty = 0.0f;
  auto plain = quantize_calibrated(p.w.data(), p.out, p.in, p.h.data(), rtn);
  auto gptq = quantize_calibrated(p.w.data(), p.out, p.in, p.h.data(), pure_gptq);
  auto balanced = quantize_calibrated(p.w.data(), p.out, p.in, p.h.data(), {});  // reach penalty on
  ASSERT_TRUE(plain.ok() && gptq.ok() && balanced.ok());
  EXPECT_LT(output_error(p, *gptq, 1), 0.7 * output_error(p, *plain, 1));
  EXPECT_LT(output_error(p, *balanced, 1), 0.9 * output_error(p, *plain, 1));
}

TEST(CalibratedLinear, ReachPenaltyKeepsFullPrecisionNearTheWeights) {
  const Problem p = make_problem(32, 256, 13);
  CalibratedLinearOptions plain_gptq;
  plain_gptq.reach_penalty = 0.0f;
  auto loose = quantize_calibrated(p.w.data(), p.out, p.in, p.h.data(), plain_gptq);
  auto bounded = quantize_calibrated(p.w.data(), p.out, p.in, p.h.data(), {});
  ASSERT_TRUE(loose.ok() && bounded.ok());
  EXPECT_LT(output_error(p, *bounded, 4), output_error(p, *loose, 4));
}

TEST(CalibratedLinear, RejectsBadInput) {
  const Problem p = make_problem(2, 16, 1);
  std::vector<float> w = p.w;
  w[5] = std::nanf("");
  auto r = quantize_calibrated(w.data(), p.out, p.in, p.h.data(), {});
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(quantize_calibrated(p.w.data(), 0, p.in, p.h.data(), {}).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace mobiq
