#include "tools/quantizer/nested_rtn.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "runtime/core/half.h"

namespace mobiq {
namespace {

std::vector<float> random_weights(int64_t n, uint32_t seed, float spread = 0.05f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, spread);
  std::vector<float> w(static_cast<size_t>(n));
  for (auto& x : w) x = normal(rng);
  return w;
}

// The 8-bit code and parameters of element (r, c), computed independently of the packed planes.
struct Reference {
  Rtn8Params params;
  uint8_t code;
};
Reference reference(const std::vector<float>& w, int64_t in, int64_t r, int64_t c) {
  const int64_t begin = c / kGroupSize * kGroupSize;
  const int64_t count = std::min<int64_t>(kGroupSize, in - begin);
  const Rtn8Params params = rtn8_params(&w[r * in + begin], count);
  return {params, rtn8_code(w[r * in + c], params)};
}

std::vector<float> dequantize(const NestedRtnLinear& q, int k) {
  std::vector<float> out(static_cast<size_t>(q.out * q.in));
  dequantize_sliced(q.view(), k, out.data());
  return out;
}

TEST(NestedRtn, DroppingPlanesTruncatesThe8BitCodes) {
  const int64_t out = 6, in = 300;
  const auto w = random_weights(out * in, 1);
  auto q = quantize_nested_rtn(w.data(), out, in);
  ASSERT_TRUE(q.ok()) << q.status().to_string();
  for (int64_t r = 0; r < out; ++r)
    for (int64_t c = 0; c < in; ++c) {
      const uint8_t code = reference(w, in, r, c).code;
      int prefix = 0;  // the first k planes read as one 2k-bit number
      for (int k = 1; k <= kMaxPlanes; ++k) {
        prefix = prefix * 4 + packed_code(q->planes[k - 1].data() + r * packed_row_bytes(in), c);
        ASSERT_EQ(prefix, code >> (8 - 2 * k)) << "row " << r << " col " << c << " k " << k;
      }
    }
}

TEST(NestedRtn, ReconstructionIsTheNestedTruncationFormula) {
  const int64_t out = 4, in = 384;
  const auto w = random_weights(out * in, 2);
  auto q = quantize_nested_rtn(w.data(), out, in);
  ASSERT_TRUE(q.ok());
  for (int k = 1; k <= kMaxPlanes; ++k) {
    const auto got = dequantize(*q, k);
    const int drop = 8 - 2 * k;
    for (int64_t r = 0; r < out; ++r)
      for (int64_t c = 0; c < in; ++c) {
        const auto [params, code] = reference(w, in, r, c);
        const double bucket = std::ldexp(1.0, drop);
        const double want = ((code >> drop) * bucket + (bucket - 1) / 2 - params.zero) * params.step;
        ASSERT_NEAR(got[r * in + c], want, 1e-5 * params.step * 256) << "row " << r << " col " << c << " k " << k;
      }
  }
}

TEST(NestedRtn, ErrorIsAtMostHalfABucket) {
  const int64_t out = 8, in = 1000;
  const auto w = random_weights(out * in, 3);
  auto q = quantize_nested_rtn(w.data(), out, in);
  ASSERT_TRUE(q.ok());
  for (int k = 1; k <= kMaxPlanes; ++k) {
    const auto got = dequantize(*q, k);
    double worst_ratio = 0;
    for (int64_t r = 0; r < out; ++r)
      for (int64_t c = 0; c < in; ++c) {
        const Rtn8Params params = reference(w, in, r, c).params;
        const double half_bucket = params.step * std::ldexp(1.0, 2 * (4 - k)) / 2;
        const double error = std::abs(got[r * in + c] - w[r * in + c]);
        ASSERT_LE(error, half_bucket * (1 + 1e-3)) << "row " << r << " col " << c << " k " << k;
        worst_ratio = std::max(worst_ratio, error / half_bucket);
      }
    EXPECT_GT(worst_ratio, 0.5) << "k " << k << ": the bound should be nearly reached somewhere";
  }
}

TEST(NestedRtn, StepIsTheRangeOver255RoundedUpToAnF16Scale) {
  const auto w = random_weights(kGroupSize, 4);
  const Rtn8Params p = rtn8_params(w.data(), kGroupSize);
  const float lo = std::min(0.0f, *std::min_element(w.begin(), w.end()));
  const float hi = std::max(0.0f, *std::max_element(w.begin(), w.end()));
  const float exact = (hi - lo) / 255.0f;
  EXPECT_GE(p.step, exact);
  EXPECT_LE(p.step, exact * (1 + 1.0f / 1024));
  EXPECT_EQ(f16_to_f32(base_scale_f16(p)), p.step * 64);
  EXPECT_EQ(f16_to_f32(base_zero_f16(p)), (p.zero - 31.5f) / 64);  // exact in f16
}

TEST(NestedRtn, ConstantGroups) {
  for (float value : {0.37f, -1.25f, 0.0f}) {
    const int64_t in = 200;  // one full group and one short one, both constant
    std::vector<float> w(static_cast<size_t>(in), value);
    auto q = quantize_nested_rtn(w.data(), 1, in);
    ASSERT_TRUE(q.ok()) << value;
    for (int k = 1; k <= kMaxPlanes; ++k) {
      const auto got = dequantize(*q, k);
      const Rtn8Params params = rtn8_params(w.data(), kGroupSize);
      const double half_bucket = params.step * std::ldexp(1.0, 2 * (4 - k)) / 2;
      for (float x : got) {
        ASSERT_TRUE(std::isfinite(x));
        ASSERT_LE(std::abs(x - value), half_bucket * (1 + 1e-3) + 1e-7) << value << " k " << k;
      }
      if (value == 0.0f) {
        EXPECT_TRUE(std::all_of(got.begin(), got.end(), [](float x) { return x == 0.0f; }));
      }
      if (k == kMaxPlanes) {
        EXPECT_NEAR(got[0], value, std::abs(value) * 1e-3);
      }
    }
  }
}

TEST(NestedRtn, OddSizesPackWithZeroPadding) {
  for (int64_t in : {1, 3, 5, 127, 129, 130, 257}) {
    const int64_t out = 3;
    const auto w = random_weights(out * in, static_cast<uint32_t>(in));
    auto q = quantize_nested_rtn(w.data(), out, in);
    ASSERT_TRUE(q.ok()) << in;
    ASSERT_EQ(q->scales.size(), static_cast<size_t>(out * n_groups(in)));
    for (int p = 0; p < kMaxPlanes; ++p) {
      ASSERT_EQ(q->planes[p].size(), static_cast<size_t>(out * packed_row_bytes(in)));
      for (int64_t r = 0; r < out; ++r)
        for (int64_t c = in; c < packed_row_bytes(in) * 4; ++c)
          EXPECT_EQ(packed_code(q->planes[p].data() + r * packed_row_bytes(in), c), 0) << in << " padding col " << c;
    }
    const auto got = dequantize(*q, kMaxPlanes);
    for (int64_t i = 0; i < out * in; ++i) {
      const Rtn8Params params = reference(w, in, i / in, i % in).params;
      ASSERT_LE(std::abs(got[i] - w[i]), params.step * 0.5 * (1 + 1e-3)) << in << " element " << i;
    }
  }
}

TEST(NestedRtn, RejectsWhatItCannotRepresent) {
  std::vector<float> w(256, 0.1f);
  EXPECT_EQ(quantize_nested_rtn(w.data(), 0, 256).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(quantize_nested_rtn(w.data(), 2, -1).status().code(), ErrorCode::kInvalidArgument);
  w[77] = std::numeric_limits<float>::quiet_NaN();
  auto nan = quantize_nested_rtn(w.data(), 2, 128);
  EXPECT_EQ(nan.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(nan.status().message().find("row 0, column 77"), std::string::npos) << nan.status().message();
  w[77] = 0.1f;
  w[200] = 1e6f;
  w[201] = -1e6f;
  auto wide = quantize_nested_rtn(w.data(), 2, 128);
  EXPECT_EQ(wide.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(wide.status().message().find("row 1, group 0"), std::string::npos) << wide.status().message();
}

}  // namespace
}  // namespace mobiq
