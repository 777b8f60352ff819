// Every available kernel set against the exact int8 math (in double), the portable scalar set and the f32
// reference matmul of the dequantized weights (runtime/math/slice_codes.h); dispatch by name.
// Errors are relative to the whole output vector: |y - exact| / |exact| (Euclidean norms).
#include "backends/cpu/kernels/kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "runtime/core/half.h"
#include "runtime/math/slice_codes.h"
#include "tests/cpu/random_weights.h"

namespace mobiq::cpu {
namespace {

using test::random_floats;
using test::RandomSliced;

// Only float rounding separates a set from the exact int8 result: the dot products are exact int32
// and the per-group epilogue adds a few f32 roundings.
constexpr double kIntTolerance = 1e-6;
// Against the f32 matmul of the dequantized weights: int8 activations (step max|x| / 127 per group)
// add ~0.3-0.5% relative noise on random inputs.
constexpr double kF32Tolerance = 1.5e-2;

double rel_error(const std::vector<float>& y, const std::vector<double>& exact) {
  double err = 0, norm = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    err += (y[i] - exact[i]) * (y[i] - exact[i]);
    norm += exact[i] * exact[i];
  }
  return norm == 0 ? std::sqrt(err) : std::sqrt(err / norm);
}

std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

const KernelSet& reference_set() { return *kernel_set_by_name("scalar").value(); }

// The int8 code the quantized input holds for token t, column i.
int8_t input_code(const QuantizedView& x, int64_t t, int64_t i) {
  const int64_t g = i / kGroupSize, j = i % kGroupSize;
  return x.codes[(t * x.groups + g) * kGroupSize + (j % 4) * 32 + j / 4];
}

// sum_g s 4^-(k-1) d (dot(Q_k, xq) - m_k sum(xq)) in double, straight from the nested codes.
std::vector<double> exact_int8(const RandomSliced& w, int k, const QuantizedInput& xq) {
  const QuantizedView x = xq.view();
  const int64_t out = w.view.out, in = w.view.in, groups = n_groups(in);
  const double top = std::pow(4.0, k - 1);
  std::vector<double> y(x.tokens * out);
  for (int64_t t = 0; t < x.tokens; ++t)
    for (int64_t r = 0; r < out; ++r) {
      double acc = 0;
      for (int64_t g = 0; g < groups; ++g) {
        int64_t dot = 0;
        for (int64_t i = g * kGroupSize; i < std::min(in, (g + 1) * kGroupSize); ++i)
          dot += (w.codes[r * in + i] >> (8 - 2 * k)) * input_code(x, t, i);
        const double s = f16_to_f32(w.scales[r * groups + g]), z = f16_to_f32(w.zeros[r * groups + g]);
        const double m = top * z + 0.5 * (top - 1);
        acc += s / top * x.scales[t * groups + g] * (dot - m * x.sums[t * groups + g]);
      }
      y[t * out + r] = acc;
    }
  return y;
}

// The f32 reference: math::dequantize_row of the first k planes times the f32 input, in double.
std::vector<double> exact_f32(const RandomSliced& w, int k, const std::vector<float>& x, int64_t n) {
  const int64_t out = w.view.out, in = w.view.in;
  std::vector<float> row(in);
  std::vector<double> y(n * out);
  for (int64_t r = 0; r < out; ++r) {
    math::dequantize_row(w.view, k, r, row.data());
    for (int64_t t = 0; t < n; ++t) {
      double acc = 0;
      for (int64_t i = 0; i < in; ++i) acc += static_cast<double>(row[i]) * x[t * in + i];
      y[t * out + r] = acc;
    }
  }
  return y;
}

std::vector<float> run_sliced(const KernelSet& set, const PackedSliced& w, int k, const QuantizedInput& x) {
  std::vector<float> y(x.tokens() * w.out(), std::numeric_limits<float>::quiet_NaN());
  const Status s = sliced_matmul_rows(set, w, k, x, 0, w.out(), y.data());
  EXPECT_TRUE(s.ok()) << s.to_string();
  return y;
}

QuantizedInput quantize(const KernelSet& set, const std::vector<float>& x, int64_t n, int64_t in) {
  QuantizedInput q;
  const Status s = quantize_input(set, x.data(), n, in, q);
  EXPECT_TRUE(s.ok()) << s.to_string();
  return q;
}

struct Shape {
  int64_t out, in, tokens;
};

// Real projections (fixture-a's 384 / 1024, a 7B's 4096), then out not a multiple of the 8-row
// block (1, 7, 9, 15, 17, 33), in not a multiple of a group (4, 129, 130, 200, 257, 300) and tokens
// 1, 2, 3, 5, 6, 7, 64, which cover every token tile (4, 2, 1 tokens; neon-i8mm's 4- and 2-token
// tiles and its single-token fallback) and their remainders.
const Shape kShapes[] = {{384, 384, 1}, {384, 384, 2}, {1024, 384, 3}, {1024, 384, 5}, {384, 1024, 7},
                         {4096, 4096, 1}, {1, 200, 1},  {7, 130, 3},    {7, 130, 2},    {1, 4, 2},
                         {33, 4, 7},     {33, 200, 64}, {33, 200, 5},   {8, 128, 2},    {17, 257, 5},
                         {15, 129, 3},   {9, 300, 6},   {40, 384, 64}};

class KernelSetTest : public ::testing::TestWithParam<std::string> {
 protected:
  const KernelSet& set() { return *kernel_set_by_name(GetParam()).value(); }
};

TEST_P(KernelSetTest, QuantizesExactlyLikeTheReference) {
  for (int64_t in : {4, 130, 200, 384, 4096})
    for (int64_t n : {1, 3}) {
      const std::vector<float> x = random_floats(n * in, 5, -3.0f, 3.0f);
      const QuantizedInput a = quantize(set(), x, n, in), b = quantize(reference_set(), x, n, in);
      const QuantizedView va = a.view(), vb = b.view();
      for (int64_t i = 0; i < n * va.groups; ++i) {
        ASSERT_EQ(va.scales[i], vb.scales[i]) << "in " << in << " group " << i;
        ASSERT_EQ(va.sums[i], vb.sums[i]) << "in " << in << " group " << i;
      }
      for (int64_t i = 0; i < n * va.groups * kGroupSize; ++i) ASSERT_EQ(va.codes[i], vb.codes[i]) << "in " << in;
      for (int64_t t = 0; t < n; ++t)  // and the codes are x within half a step, in the documented order
        for (int64_t i = 0; i < in; ++i) {
          const float d = va.scales[t * va.groups + i / kGroupSize];
          ASSERT_NEAR(d * input_code(va, t, i), x[t * in + i], 0.5001f * d) << "column " << i;
        }
    }
}

TEST_P(KernelSetTest, SlicedMatchesExactInt8AndF32AtEverySliceCount) {
  for (const Shape& s : kShapes) {
    RandomSliced w(s.out, s.in, 7);
    const std::vector<float> x = random_floats(s.tokens * s.in, 11);
    const PackedSliced packed = PackedSliced::pack(w.view).value();
    const QuantizedInput xq = quantize(set(), x, s.tokens, s.in);
    for (int k = 1; k <= kMaxPlanes; ++k) {
      const std::vector<float> y = run_sliced(set(), packed, k, xq);
      const std::string where = std::to_string(s.out) + "x" + std::to_string(s.in) + " t" +
                                std::to_string(s.tokens) + " k=" + std::to_string(k);
      EXPECT_LT(rel_error(y, exact_int8(w, k, xq)), kIntTolerance) << where;
      EXPECT_LT(rel_error(y, to_double(run_sliced(reference_set(), packed, k, xq))), kIntTolerance) << where;
      EXPECT_LT(rel_error(y, exact_f32(w, k, x, s.tokens)), kF32Tolerance) << where;
    }
  }
}

TEST_P(KernelSetTest, ZeroAndLargeInputs) {
  RandomSliced w(33, 300, 3);
  const PackedSliced packed = PackedSliced::pack(w.view).value();
  const std::vector<float> zeros(3 * 300, 0.0f);
  std::vector<float> large = random_floats(3 * 300, 4, -1e6f, 1e6f);
  large[7] = 3e7f;  // an outlier: the rest of its group keeps fewer bits
  for (int k = 1; k <= kMaxPlanes; ++k) {
    const QuantizedInput zq = quantize(set(), zeros, 3, 300);
    for (float v : run_sliced(set(), packed, k, zq)) ASSERT_EQ(v, 0.0f) << "k=" << k;
    const QuantizedInput lq = quantize(set(), large, 3, 300);
    const std::vector<float> y = run_sliced(set(), packed, k, lq);
    EXPECT_LT(rel_error(y, exact_int8(w, k, lq)), kIntTolerance) << "k=" << k;
    EXPECT_LT(rel_error(y, exact_f32(w, k, large, 3)), 5 * kF32Tolerance) << "k=" << k;
  }
}

// Every code at its largest (Q_k = 4^k - 1: the k = 4 code does not fit s8) or 0, against inputs at
// +-127, all one sign or alternating, on 5 tokens (batched tiles and the single-token path): the int32
// dots must stay exact.
TEST_P(KernelSetTest, ExtremeCodesStayExact) {
  const int64_t out = 9, in = 260, n = 5;
  for (const uint8_t code : {uint8_t{255}, uint8_t{0}}) {
    RandomSliced w(out, in, 4);
    for (auto& plane : w.planes) std::fill(plane.begin(), plane.end(), uint8_t{0});
    for (int64_t r = 0; r < out; ++r)
      for (int64_t i = 0; i < in; ++i) {
        w.codes[r * in + i] = code;
        for (int p = 0; p < kMaxPlanes; ++p)
          w.planes[p][r * packed_row_bytes(in) + i / 4] |= plane_code(code, p) << (2 * (i % 4));
      }
    const PackedSliced packed = PackedSliced::pack(w.view).value();
    for (int pattern = 0; pattern < 3; ++pattern) {
      std::vector<float> x(n * in);
      for (int64_t i = 0; i < n * in; ++i) x[i] = pattern == 0 ? 1.0f : pattern == 1 ? -1.0f : (i % 2 ? 1.0f : -1.0f);
      const QuantizedInput xq = quantize(set(), x, n, in);
      for (int k = 1; k <= kMaxPlanes; ++k)
        EXPECT_LT(rel_error(run_sliced(set(), packed, k, xq), exact_int8(w, k, xq)), kIntTolerance)
            << "code " << int{code} << " pattern " << pattern << " k=" << k;
    }
  }
}

// A batch gives each token what a pass over that token alone gives (the batched tiles against the
// single-token kernels, which neon-i8mm takes from neon-dotprod), sliced at every k and dense q8.
TEST_P(KernelSetTest, TokenBatchesMatchOneTokenAtATime) {
  const int64_t out = 33, in = 300;
  RandomSliced w(out, in, 12);
  const PackedSliced packed = PackedSliced::pack(w.view).value();
  const std::vector<float> w32 = random_floats(out * in, 13);
  const PackedDenseQ8 dense = PackedDenseQ8::pack(DenseTensor{DType::kF32, w32.data(), out, in}).value();
  for (int64_t n : {2, 3, 5, 6, 7}) {
    const std::vector<float> x = random_floats(n * in, 14 + static_cast<uint32_t>(n));
    const QuantizedInput xq = quantize(set(), x, n, in);
    std::vector<float> dense_batch(n * out);
    ASSERT_TRUE(dense_q8_matmul_rows(set(), dense, xq, 0, out, dense_batch.data()).ok());
    std::vector<std::vector<float>> batch;
    for (int k = 1; k <= kMaxPlanes; ++k) batch.push_back(run_sliced(set(), packed, k, xq));
    for (int64_t t = 0; t < n; ++t) {
      const std::vector<float> xt(x.begin() + t * in, x.begin() + (t + 1) * in);
      const QuantizedInput one = quantize(set(), xt, 1, in);
      const std::string where = "tokens " + std::to_string(n) + " token " + std::to_string(t);
      for (int k = 1; k <= kMaxPlanes; ++k) {
        const std::vector<float> alone = run_sliced(set(), packed, k, one);
        const std::vector<float> row(batch[k - 1].begin() + t * out, batch[k - 1].begin() + (t + 1) * out);
        EXPECT_LT(rel_error(row, to_double(alone)), kIntTolerance) << where << " k=" << k;
      }
      std::vector<float> alone(out);
      ASSERT_TRUE(dense_q8_matmul_rows(set(), dense, one, 0, out, alone.data()).ok());
      const std::vector<float> row(dense_batch.begin() + t * out, dense_batch.begin() + (t + 1) * out);
      EXPECT_LT(rel_error(row, to_double(alone)), kIntTolerance) << where << " dense q8";
    }
  }
}

TEST_P(KernelSetTest, ReadsOnlyTheFirstKPlanes) {
  RandomSliced w(40, 300, 9);
  const std::vector<float> x = random_floats(3 * 300, 1);
  const QuantizedInput xq = quantize(set(), x, 3, 300);
  const PackedSliced full = PackedSliced::pack(w.view).value();
  for (int k = 1; k <= kMaxPlanes; ++k) {
    SlicedTensor partial = w.view;  // planes k.. absent: packing skips them, the kernel must too
    partial.n_planes = k;
    for (int p = k; p < kMaxPlanes; ++p) partial.planes[p] = nullptr;
    const PackedSliced packed = PackedSliced::pack(partial).value();
    EXPECT_EQ(packed.bytes_read(k), 40 * 3 * (k * 32 + 4));
    EXPECT_EQ(run_sliced(set(), packed, k, xq), run_sliced(set(), full, k, xq)) << "k=" << k;
  }
}

TEST_P(KernelSetTest, RowChunksMatchTheWholeAndLeaveOtherRowsAlone) {
  RandomSliced w(45, 260, 2);
  const std::vector<float> x = random_floats(5 * 260, 6);
  const QuantizedInput xq = quantize(set(), x, 5, 260);
  const PackedSliced packed = PackedSliced::pack(w.view).value();
  for (int k = 1; k <= kMaxPlanes; ++k) {
    const std::vector<float> whole = run_sliced(set(), packed, k, xq);
    std::vector<float> chunked(whole.size(), -1.0f);
    ASSERT_TRUE(sliced_matmul_rows(set(), packed, k, xq, 16, 40, chunked.data()).ok());
    for (int64_t t = 0; t < 5; ++t)
      for (int64_t r = 0; r < 45; ++r) {
        if (r >= 16 && r < 40) continue;
        ASSERT_EQ(chunked[t * 45 + r], -1.0f) << "row " << r << " written";
      }
    for (auto [r0, r1] : {std::pair<int64_t, int64_t>{0, 16}, {40, 45}})
      ASSERT_TRUE(sliced_matmul_rows(set(), packed, k, xq, r0, r1, chunked.data()).ok());
    EXPECT_EQ(chunked, whole) << "k=" << k;
  }
}

TEST_P(KernelSetTest, DenseQ8MatchesReferenceAndF32) {
  for (const Shape& s : kShapes) {
    if (s.out * s.in > 2'000'000) continue;
    const std::vector<float> w32 = random_floats(s.out * s.in, 3);
    std::vector<uint16_t> w16(w32.size()), wbf(w32.size());
    for (size_t i = 0; i < w32.size(); ++i) {
      w16[i] = f32_to_f16(w32[i]);
      wbf[i] = f32_to_bf16(w32[i]);
    }
    const std::vector<float> x = random_floats(s.tokens * s.in, 8);
    const QuantizedInput xq = quantize(set(), x, s.tokens, s.in);
    for (auto [dtype, data] : {std::pair<DType, const void*>{DType::kF32, w32.data()}, {DType::kF16, w16.data()},
                               {DType::kBF16, wbf.data()}}) {
      const DenseTensor dense{dtype, data, s.out, s.in};
      const PackedDenseQ8 packed = PackedDenseQ8::pack(dense).value();
      std::vector<float> y(s.tokens * s.out), ref(s.tokens * s.out);
      ASSERT_TRUE(dense_q8_matmul_rows(set(), packed, xq, 0, s.out, y.data()).ok());
      ASSERT_TRUE(dense_q8_matmul_rows(reference_set(), packed, xq, 0, s.out, ref.data()).ok());
      std::vector<double> exact(s.tokens * s.out);
      for (int64_t t = 0; t < s.tokens; ++t)
        for (int64_t r = 0; r < s.out; ++r) {
          double acc = 0;
          for (int64_t i = 0; i < s.in; ++i) {
            const int64_t at = r * s.in + i;
            const float wv = dtype == DType::kF32 ? w32[at] : dtype == DType::kF16 ? f16_to_f32(w16[at]) : bf16_to_f32(wbf[at]);
            acc += static_cast<double>(wv) * x[t * s.in + i];
          }
          exact[t * s.out + r] = acc;
        }
      const std::string where = std::to_string(s.out) + "x" + std::to_string(s.in) + " dtype " +
                                std::to_string(static_cast<int>(dtype));
      EXPECT_LT(rel_error(y, to_double(ref)), kIntTolerance) << where;
      EXPECT_LT(rel_error(y, exact), kF32Tolerance) << where;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Available, KernelSetTest, ::testing::ValuesIn([] {
                           std::vector<std::string> names;
                           for (const KernelSet* s : available_kernel_sets()) names.emplace_back(s->name);
                           return names;
                         }()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(KernelDispatch, ReferenceIsAlwaysAvailableAndLast) {
  const auto sets = available_kernel_sets();
  ASSERT_FALSE(sets.empty());
  EXPECT_STREQ(sets.back()->name, "scalar");
}

TEST(KernelDispatch, ForcingEachSetByNameWorksAndUnknownNamesFail) {
  for (const KernelSet* s : available_kernel_sets()) {
    ASSERT_EQ(setenv("MOBIQ_KERNELS", s->name, 1), 0);
    const Result<const KernelSet*> chosen = best_kernel_set();
    ASSERT_TRUE(chosen.ok()) << chosen.status().to_string();
    EXPECT_EQ(*chosen, s);
  }
  ASSERT_EQ(setenv("MOBIQ_KERNELS", "avx9000", 1), 0);
  const Result<const KernelSet*> unknown = best_kernel_set();
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("avx9000"), std::string::npos);
  ASSERT_EQ(unsetenv("MOBIQ_KERNELS"), 0);
  EXPECT_EQ(best_kernel_set().value(), available_kernel_sets().front());
}

TEST(KernelDispatch, ASetThisCpuLacksIsUnsupportedAndAForeignOneUnknown) {
  const auto available = [](const char* name) {
    for (const KernelSet* s : available_kernel_sets())
      if (std::string(s->name) == name) return true;
    return false;
  };
#if defined(__x86_64__)
  const char* natives[] = {"avx512-vnni", "avx2"};
  const char* foreigns[] = {"neon-i8mm", "neon-dotprod"};
#else
  const char* natives[] = {"neon-i8mm", "neon-dotprod"};
  const char* foreigns[] = {"avx512-vnni", "avx2"};
#endif
  for (const char* native : natives) {
    if (!available(native)) {
      EXPECT_EQ(kernel_set_by_name(native).status().code(), ErrorCode::kUnsupported) << native;
      ASSERT_EQ(setenv("MOBIQ_KERNELS", native, 1), 0);
      EXPECT_EQ(best_kernel_set().status().code(), ErrorCode::kUnsupported) << native;
      ASSERT_EQ(unsetenv("MOBIQ_KERNELS"), 0);
    }
  }
  for (const char* foreign : foreigns)
    EXPECT_EQ(kernel_set_by_name(foreign).status().code(), ErrorCode::kInvalidArgument) << foreign;
}

// Best first: on aarch64 neon-i8mm (which runs neon-dotprod's single-token kernels) only with
// neon-dotprod, and before it.
TEST(KernelDispatch, SetsComeBestFirst) {
  std::vector<std::string> names;
  for (const KernelSet* s : available_kernel_sets()) names.emplace_back(s->name);
  const auto position = [&](const char* name) { return std::find(names.begin(), names.end(), name) - names.begin(); };
  const auto n = static_cast<std::ptrdiff_t>(names.size());
  if (position("neon-i8mm") < n) {
    EXPECT_EQ(position("neon-i8mm"), 0);
    EXPECT_EQ(position("neon-dotprod"), 1);
  }
  if (position("avx512-vnni") < n) {
    EXPECT_EQ(position("avx512-vnni"), 0);
    EXPECT_EQ(position("avx2"), 1);
  }
}

// When MOBIQ_EXPECT_KERNEL_SETS names the sets this CPU should offer ("neon-i8mm,neon-dotprod,scalar"),
// the dispatch must offer exactly those, in that order: scripts/cross-aarch64.sh sets it per emulated
// CPU model, so a model without i8mm (or dotprod) proves the fallback is picked.
TEST(KernelDispatch, OffersTheExpectedSetsWhenTold) {
  const char* expected = std::getenv("MOBIQ_EXPECT_KERNEL_SETS");
  if (expected == nullptr || *expected == '\0') GTEST_SKIP() << "MOBIQ_EXPECT_KERNEL_SETS not set";
  std::string names;
  for (const KernelSet* s : available_kernel_sets()) names += (names.empty() ? "" : ",") + std::string(s->name);
  EXPECT_EQ(names, expected);
  EXPECT_STREQ(best_kernel_set().value()->name, available_kernel_sets().front()->name);
}

TEST(KernelErrors, BadArgumentsAreStatusesAndWriteNothing) {
  RandomSliced w(20, 130, 1);
  const PackedSliced packed = PackedSliced::pack(w.view).value();
  const std::vector<float> x = random_floats(2 * 130, 1);
  const QuantizedInput xq = quantize(reference_set(), x, 2, 130);
  const QuantizedInput wrong_in = quantize(reference_set(), x, 2, 129);
  std::vector<float> y(2 * 20, -1.0f);
  const KernelSet& set = *best_kernel_set().value();
  for (int k : {0, 5}) EXPECT_EQ(sliced_matmul_rows(set, packed, k, xq, 0, 20, y.data()).code(), ErrorCode::kInvalidArgument);
  for (auto [r0, r1] : {std::pair<int64_t, int64_t>{4, 20}, {0, 12}, {0, 21}, {8, 8}, {-8, 8}})
    EXPECT_EQ(sliced_matmul_rows(set, packed, 2, xq, r0, r1, y.data()).code(), ErrorCode::kInvalidArgument)
        << r0 << ".." << r1;
  EXPECT_EQ(sliced_matmul_rows(set, packed, 2, wrong_in, 0, 20, y.data()).code(), ErrorCode::kInvalidArgument);
  for (float v : y) ASSERT_EQ(v, -1.0f);

  SlicedTensor missing = w.view;
  missing.planes[2] = nullptr;
  EXPECT_EQ(PackedSliced::pack(missing).status().code(), ErrorCode::kInvalidArgument);
  SlicedTensor empty = w.view;
  empty.out = 0;
  EXPECT_EQ(PackedSliced::pack(empty).status().code(), ErrorCode::kInvalidArgument);
  SlicedTensor no_planes = w.view;
  no_planes.n_planes = 0;
  EXPECT_EQ(PackedSliced::pack(no_planes).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(PackedDenseQ8::pack(DenseTensor{DType::kF32, nullptr, 4, 4}).status().code(), ErrorCode::kInvalidArgument);
  QuantizedInput q;
  EXPECT_EQ(quantize_input(set, x.data(), 0, 130, q).code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace mobiq::cpu
