#include "runtime/math/matmul.h"

#include <gtest/gtest.h>

#include <cmath>

#include "runtime/core/half.h"
#include "tests/cpu/random_weights.h"

namespace mobiq::cpu {
namespace {

using test::random_floats;
using test::RandomSliced;

struct Shape {
  int64_t out, in, tokens;
};

// Shapes: real fixture-a projections, one token, odd sizes that are not multiples of the tile (16
// rows), the micro-kernel (6 tokens), a group (128) or even 4 columns.
const Shape kShapes[] = {{384, 384, 1}, {128, 384, 2}, {1024, 384, 7}, {384, 1024, 64}, {17, 130, 1},
                         {33, 257, 5},  {5, 3, 13},    {1, 128, 6},    {45, 999, 3},   {64, 131, 512}};

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, static_cast<double>(std::fabs(x)));
  return m;
}

class MatmulTest : public ::testing::TestWithParam<Shape> {};

TEST_P(MatmulTest, SlicedMatchesTheLayoutFormulaAtEverySliceCount) {
  const Shape s = GetParam();
  RandomSliced w(s.out, s.in, 7);
  const std::vector<float> x = random_floats(s.tokens * s.in, 11);
  ThreadPool pool(2);
  math::MatmulWorkspace workspace(pool.size(), s.in);
  LinearWeights linear;
  linear.sliced = w.view;
  for (int k = 1; k <= kMaxPlanes; ++k) {
    std::vector<float> y(s.tokens * s.out), expected(s.tokens * s.out);
    math::matmul(linear, k, x.data(), s.tokens, y.data(), pool, workspace);
    for (int64_t t = 0; t < s.tokens; ++t)
      for (int64_t r = 0; r < s.out; ++r) {
        double acc = 0;
        for (int64_t i = 0; i < s.in; ++i) acc += static_cast<double>(w.weight(r, i, k)) * x[t * s.in + i];
        expected[t * s.out + r] = static_cast<float>(acc);
      }
    const double tolerance = 2e-5 * std::sqrt(static_cast<double>(s.in)) * std::max(1.0, max_abs(expected));
    for (int64_t j = 0; j < s.tokens * s.out; ++j)
      ASSERT_NEAR(y[j], expected[j], tolerance) << "k=" << k << " token " << j / s.out << " row " << j % s.out;
  }
}

TEST_P(MatmulTest, DenseMatchesNaiveForEveryDtype) {
  const Shape s = GetParam();
  const std::vector<float> w32 = random_floats(s.out * s.in, 3);
  const std::vector<float> x = random_floats(s.tokens * s.in, 5);
  std::vector<uint16_t> w16(w32.size()), wbf(w32.size());
  for (size_t i = 0; i < w32.size(); ++i) {
    w16[i] = f32_to_f16(w32[i]);
    wbf[i] = f32_to_bf16(w32[i]);
  }
  ThreadPool pool(2);
  math::MatmulWorkspace workspace(pool.size(), s.in);
  struct Case {
    DType dtype;
    const void* data;
  };
  for (Case c : {Case{DType::kF32, w32.data()}, Case{DType::kF16, w16.data()}, Case{DType::kBF16, wbf.data()}}) {
    DenseTensor d{c.dtype, c.data, s.out, s.in};
    std::vector<float> y(s.tokens * s.out);
    math::matmul_dense(d, x.data(), s.tokens, y.data(), pool, workspace);
    for (int64_t t = 0; t < s.tokens; ++t)
      for (int64_t r = 0; r < s.out; ++r) {
        double acc = 0;
        for (int64_t i = 0; i < s.in; ++i) {
          const int64_t at = r * s.in + i;
          const float wv = c.dtype == DType::kF32 ? w32[at] : c.dtype == DType::kF16 ? f16_to_f32(w16[at]) : bf16_to_f32(wbf[at]);
          acc += static_cast<double>(wv) * x[t * s.in + i];
        }
        ASSERT_NEAR(y[t * s.out + r], acc, 1e-4 * std::sqrt(static_cast<double>(s.in)))
            << "dtype " << static_cast<int>(c.dtype) << " token " << t << " row " << r;
      }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, MatmulTest, ::testing::ValuesIn(kShapes), [](const auto& info) {
  return std::to_string(info.param.out) + "x" + std::to_string(info.param.in) + "_t" + std::to_string(info.param.tokens);
});

TEST(Matmul, FewerSlicesReadFewerPlanes) {
  // With k planes the kernel must not touch planes k..3: poison them and compare.
  RandomSliced w(40, 300, 9);
  const std::vector<float> x = random_floats(8 * 300, 1);
  ThreadPool pool(2);
  math::MatmulWorkspace workspace(pool.size(), 300);
  for (int k = 1; k < kMaxPlanes; ++k) {
    LinearWeights clean, poisoned;
    clean.sliced = w.view;
    poisoned.sliced = w.view;
    std::vector<std::vector<uint8_t>> garbage(kMaxPlanes, std::vector<uint8_t>(w.planes[0].size(), 0xA5));
    for (int p = k; p < kMaxPlanes; ++p) poisoned.sliced.planes[p] = garbage[p].data();
    for (int64_t tokens : {1, 3, 8}) {  // row path and tiled path
      std::vector<float> a(tokens * 40), b(tokens * 40);
      math::matmul(clean, k, x.data(), tokens, a.data(), pool, workspace);
      math::matmul(poisoned, k, x.data(), tokens, b.data(), pool, workspace);
      EXPECT_EQ(a, b) << "k=" << k;
    }
  }
}

}  // namespace
}  // namespace mobiq::cpu
