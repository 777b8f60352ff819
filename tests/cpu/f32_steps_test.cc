// The kernel sets' vectorized f32 steps (KernelSet::swiglu, ::argmax; ::attend is in
// attention_rope_test.cc) against double-precision math, on lengths that are not multiples of the
// vector width and on the values where a vector exp is weakest (large |x|, where it clamps).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "backends/cpu/kernels/kernels.h"
#include "tests/cpu/random_weights.h"

namespace mobiq::cpu {
namespace {

using test::random_floats;

// Per element: |y - exact| <= kRelative * |exact| + kAbsolute. The exp is a few ulp; past its clamp
// (x < -86) silu(x) ~ x e^x is below 1e-35 either way.
constexpr double kRelative = 2e-6, kAbsolute = 1e-30;

std::vector<const KernelSet*> sets_with(bool (*has)(const KernelSet&)) {
  std::vector<const KernelSet*> sets;
  for (const KernelSet* set : available_kernel_sets())
    if (has(*set)) sets.push_back(set);
  return sets;
}

TEST(F32Steps, SwigluMatchesDoubleSilu) {
  const auto sets = sets_with([](const KernelSet& s) { return s.swiglu != nullptr; });
  if (sets.empty()) GTEST_SKIP() << "no kernel set here vectorizes swiglu";
  for (const KernelSet* set : sets)
    for (int64_t n : {1, 7, 8, 9, 1024, 3 * 1024 + 5}) {
      std::vector<float> gate = random_floats(n, 11, -12.0f, 12.0f);
      const std::vector<float> up = random_floats(n, 12, -3.0f, 3.0f);
      // The clamps and their neighbourhood, and zero.
      const float edges[] = {0.0f, -85.9f, -86.0f, -87.0f, -100.0f, 87.9f, 88.0f, 89.0f, 200.0f, -1e-20f};
      for (size_t i = 0; i < std::size(edges) && i < static_cast<size_t>(n); ++i) gate[n - 1 - i] = edges[i];
      const std::vector<float> before = gate;
      set->swiglu(gate.data(), up.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        const double g = before[i], exact = g / (1.0 + std::exp(-g)) * up[i];
        ASSERT_LE(std::fabs(gate[i] - exact), kRelative * std::fabs(exact) + kAbsolute)
            << set->name << " n " << n << " i " << i << " gate " << g;
      }
    }
}

TEST(F32Steps, ArgmaxIsTheFirstLargest) {
  const auto sets = sets_with([](const KernelSet& s) { return s.argmax != nullptr; });
  if (sets.empty()) GTEST_SKIP() << "no kernel set here vectorizes argmax";
  for (const KernelSet* set : sets)
    for (int64_t n : {1, 7, 31, 32, 33, 100, 32000}) {
      std::vector<float> x = random_floats(n, 21, -30.0f, 30.0f);
      EXPECT_EQ(set->argmax(x.data(), n), std::max_element(x.begin(), x.end()) - x.begin()) << set->name << " n " << n;
      // The largest value at the end (the scalar tail), then also earlier: the first one wins.
      x[n - 1] = 100.0f;
      EXPECT_EQ(set->argmax(x.data(), n), n - 1) << set->name << " n " << n;
      x[n / 3] = 100.0f;
      EXPECT_EQ(set->argmax(x.data(), n), n / 3) << set->name << " n " << n;
      // All equal: index 0.
      std::fill(x.begin(), x.end(), -5.0f);
      EXPECT_EQ(set->argmax(x.data(), n), 0) << set->name << " n " << n;
    }
}

}  // namespace
}  // namespace mobiq::cpu
