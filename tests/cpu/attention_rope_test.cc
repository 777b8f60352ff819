#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <tuple>
#include <vector>

#include "backends/cpu/kernels/kernels.h"
#include "backends/cpu/ops/attention.h"
#include "runtime/math/rope.h"
#include "tests/cpu/random_weights.h"

namespace mobiq::cpu {
namespace {

using test::random_floats;

// Straightforward double-precision causal GQA for one (token, head).
std::vector<double> naive_attention(const AttentionShape& s, const std::vector<float>& q, const std::vector<float>& k,
                                    const std::vector<float>& v, int64_t t, int h, int32_t start) {
  const int hd = s.head_dim, kv = h / (s.n_heads / s.n_kv_heads);
  const int64_t positions = start + t + 1;
  std::vector<double> scores(positions);
  double max_score = -1e300;
  for (int64_t j = 0; j < positions; ++j) {
    double d = 0;
    for (int i = 0; i < hd; ++i) d += double(q[(t * s.n_heads + h) * hd + i]) * k[(j * s.n_kv_heads + kv) * hd + i];
    scores[j] = d / std::sqrt(double(hd));
    max_score = std::max(max_score, scores[j]);
  }
  double total = 0;
  for (auto& x : scores) total += (x = std::exp(x - max_score));
  std::vector<double> out(hd, 0.0);
  for (int64_t j = 0; j < positions; ++j)
    for (int i = 0; i < hd; ++i) out[i] += scores[j] / total * v[(j * s.n_kv_heads + kv) * hd + i];
  return out;
}

struct AttentionCase {
  AttentionShape shape;
  int64_t tokens;
  int32_t start;
};

// The portable step ("portable") and every available kernel set's vectorized one.
std::vector<std::string> attend_variants() {
  std::vector<std::string> names = {"portable"};
  for (const KernelSet* set : available_kernel_sets())
    if (set->attend != nullptr) names.push_back(set->name);
  return names;
}

AttendFn attend_of(const std::string& name) {
  return name == "portable" ? nullptr : kernel_set_by_name(name).value()->attend;
}

class AttentionTest : public ::testing::TestWithParam<std::tuple<AttentionCase, std::string>> {};

TEST_P(AttentionTest, MatchesNaiveCausalAttention) {
  const auto [shape, n, start] = std::get<0>(GetParam());
  const int64_t positions = start + n;
  const auto q = random_floats(n * shape.n_heads * shape.head_dim, 1, -2, 2);
  const auto k = random_floats(positions * shape.n_kv_heads * shape.head_dim, 2, -2, 2);
  const auto v = random_floats(positions * shape.n_kv_heads * shape.head_dim, 3);
  ThreadPool pool(2);
  std::vector<float> scores(pool.size() * positions), out(n * shape.n_heads * shape.head_dim);
  attention(shape, q.data(), k.data(), v.data(), n, start, out.data(), scores.data(), positions, pool,
            attend_of(std::get<1>(GetParam())));
  for (int64_t t = 0; t < n; ++t)
    for (int h = 0; h < shape.n_heads; ++h) {
      const auto expected = naive_attention(shape, q, k, v, t, h, start);
      for (int i = 0; i < shape.head_dim; ++i)
        ASSERT_NEAR(out[(t * shape.n_heads + h) * shape.head_dim + i], expected[i], 1e-5) << "t " << t << " h " << h;
    }
}

// MHA, GQA (fixture-a's 6/2), MQA; one token, a prefill (every key count from 1 up, so every tail
// of the 8-key tiles), a decode step deep into a long context; head_dim 128 (two 64-dim passes), and
// head dims that are not a multiple of 8 (6, 20: the scalar dim tails).
INSTANTIATE_TEST_SUITE_P(Shapes, AttentionTest,
                         ::testing::Combine(::testing::Values(AttentionCase{{4, 4, 16}, 1, 0},
                                                              AttentionCase{{6, 2, 64}, 37, 0},
                                                              AttentionCase{{8, 1, 32}, 5, 11},
                                                              AttentionCase{{6, 2, 64}, 1, 2047},
                                                              AttentionCase{{2, 2, 6}, 300, 0},
                                                              AttentionCase{{4, 2, 128}, 3, 61},
                                                              AttentionCase{{3, 1, 20}, 19, 2}),
                                            ::testing::ValuesIn(attend_variants())));

TEST(Rope, RotatesPairsByPositionTimesFrequency) {
  ModelConfig c;
  c.head_dim = 8;
  c.rope_theta = 10000.0f;
  math::Rope rope(c);
  auto x = random_floats(2 * 8, 4);
  auto original = x;
  rope.apply(x.data(), 2, 5);
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 4; ++i) {
      const double angle = 5.0 * std::pow(10000.0, -2.0 * i / 8);
      const double a = original[h * 8 + i], b = original[h * 8 + i + 4];
      EXPECT_NEAR(x[h * 8 + i], a * std::cos(angle) - b * std::sin(angle), 1e-5);
      EXPECT_NEAR(x[h * 8 + i + 4], b * std::cos(angle) + a * std::sin(angle), 1e-5);
    }
  auto at_zero = original;
  rope.apply(at_zero.data(), 2, 0);
  EXPECT_EQ(at_zero, original);
}

TEST(Rope, LinearScalingDividesEveryFrequency) {
  ModelConfig plain, scaled;
  plain.head_dim = scaled.head_dim = 64;
  scaled.rope_scaling.type = RopeScalingType::kLinear;
  scaled.rope_scaling.factor = 4.0f;
  math::Rope a(plain), b(scaled);
  for (int i = 0; i < 32; ++i) EXPECT_FLOAT_EQ(b.inv_freq()[i], a.inv_freq()[i] / 4.0f);
}

TEST(Rope, Llama3ScalingKeepsHighFrequenciesScalesLowAndBlendsBetween) {
  ModelConfig c;
  c.head_dim = 128;
  c.rope_theta = 500000.0f;
  c.rope_scaling = {RopeScalingType::kLlama3, 8.0f, 1.0f, 4.0f, 8192};
  ModelConfig unscaled = c;
  unscaled.rope_scaling = {};
  math::Rope rope(c), base(unscaled);
  int high = 0, low = 0, medium = 0;
  for (int i = 0; i < 64; ++i) {
    const double f = base.inv_freq()[i];
    const double wavelen = 2 * std::numbers::pi / f;
    double expected;
    if (wavelen < 8192.0 / 4.0) {
      expected = f, ++high;
    } else if (wavelen > 8192.0 / 1.0) {
      expected = f / 8.0, ++low;
    } else {
      const double smooth = (8192.0 / wavelen - 1.0) / (4.0 - 1.0);
      expected = (1 - smooth) * f / 8.0 + smooth * f, ++medium;
    }
    EXPECT_NEAR(rope.inv_freq()[i], expected, 1e-6 * f) << i;
  }
  EXPECT_GT(high, 0);
  EXPECT_GT(low, 0);
  EXPECT_GT(medium, 0);
}

}  // namespace
}  // namespace mobiq::cpu
