// Every shader of the Vulkan backend against the CPU reference op, on shapes that are awkward on
// purpose (widths off the 128-wide slice group, off the 4-column byte, off the 64-wide workgroup).
// Bounds: sliced and dense matmuls, norms, attention within 1e-4 relative (L2 per row) of the CPU,
// rope and swiglu within 1e-5 absolute; slice counts, argmax and embeddings exact.
#include <gtest/gtest.h>

#include <cmath>
#include <ostream>
#include <random>
#include <string>
#include <tuple>

#include "backends/cpu/ops/attention.h"
#include "backends/vulkan/io_layout.h"
#include "runtime/math/matmul.h"
#include "runtime/math/rms_norm.h"
#include "runtime/math/rope.h"
#include "runtime/math/router.h"
#include "runtime/math/swiglu.h"
#include "tests/cpu/random_weights.h"
#include "tests/support/relative_error.h"
#include "tests/vulkan/op_runner.h"
#include "tests/vulkan/vulkan_test_device.h"

namespace mobiq::test {
namespace {

using vulkan::Shader;

std::vector<float> uniform(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// The I/O header as the executor writes it: n tokens from position `start`, their slice counts at
// word 32, one count per token.
void set_counts(OpBuffers& b, const std::vector<uint32_t>& counts, uint32_t start = 0) {
  b.io[vulkan::kIoTokens] = static_cast<uint32_t>(counts.size());
  b.io[vulkan::kIoStart] = start;
  b.io[vulkan::kIoCounts] = 32;
  b.io[vulkan::kIoCountsStride] = 1;
  b.io.resize(32 + counts.size());
  std::copy(counts.begin(), counts.end(), b.io.begin() + 32);
}

// A matmul pipeline under one work split: both variants the devices get (GPUs: 16 lanes per row;
// CPU drivers: one lane, four rows per invocation), as GEMV and GEMM, and an odd split, all on
// whatever device is present.
struct MatmulCase {
  const char* name;
  vulkan::MatmulSplit split;
  bool tiled;  // the GEMM pipeline (split.tile tokens per invocation)
};
const MatmulCase kMatmulCases[] = {
    {"Gemv16Lanes", {16, 1, 1}, false}, {"Gemv1Lane4Rows", {1, 4, 1}, false},
    {"Gemm16Lanes2Rows4Tokens", {16, 2, 4}, true}, {"Gemm1Lane4Rows8Tokens", {1, 4, 8}, true},
    {"Gemm4Lanes3Rows3Tokens", {4, 3, 3}, true},
};

void PrintTo(const MatmulCase& c, std::ostream* os) { *os << c.name; }

class VulkanMatmul : public ::testing::TestWithParam<MatmulCase> {
 protected:
  OpRunner runner(std::shared_ptr<vulkan::VulkanDevice> device) const {
    vulkan::PipelineOptions options = vulkan::PipelineOptions::for_device(device->info());
    (GetParam().tiled ? options.gemm : options.gemv) = GetParam().split;
    return OpRunner(std::move(device), options);
  }
  vulkan::Shader shader(vulkan::Shader gemv, vulkan::Shader gemm) const { return GetParam().tiled ? gemm : gemv; }
};

TEST_P(VulkanMatmul, SlicedMatmulReadsEachTokensPlanesLikeTheCpu) {
  MOBIQ_VULKAN_DEVICE_OR_SKIP(device);
  OpRunner run = runner(device);
  const Shader sliced = shader(Shader::kMatmulSliced, Shader::kMatmulSlicedTiled);
  ThreadPool pool(1);
  // One slice count per token, mixed within every tile; widths off the 16-column word (the general
  // path) and on it (the 16-byte path), rows off every workgroup's rows.
  const std::vector<uint32_t> counts = {1, 4, 2, 3, 4, 4, 4, 1, 2, 2, 3};
  for (auto [out, in] : {std::pair<int64_t, int64_t>{37, 200}, {5, 130}, {9, 1}, {66, 384}, {3, 7}, {41, 256}}) {
    const RandomSliced w(out, in, static_cast<uint32_t>(out * 1000 + in));
    OpBuffers b;
    uint32_t plane[kMaxPlanes];
    for (int p = 0; p < kMaxPlanes; ++p) plane[p] = OpBuffers::append(b.planes[p], w.planes[p].data(), w.planes[p].size());
    const uint32_t scales = OpBuffers::append(b.weights, w.scales.data(), w.scales.size() * 2);
    const uint32_t zeros = OpBuffers::append(b.weights, w.zeros.data(), w.zeros.size() * 2);
    const int64_t n = static_cast<int64_t>(counts.size());
    const std::vector<float> x = uniform(n * in, 7);
    const uint32_t xa = b.add_act(x), ya = b.add_act(std::vector<float>(n * out, 0.0f));
    set_counts(b, counts);
    const auto [groups_x, groups_y] = run.matmul_grid(sliced, out, n);
    ASSERT_TRUE(run.run(sliced, {plane[0], plane[1], plane[2], plane[3], scales, zeros, uint32_t(in), uint32_t(out), xa,
                                 ya, 0},
                        groups_x, groups_y, b).ok());
    LinearWeights linear;
    linear.sliced = w.view;
    math::MatmulWorkspace workspace(1, in);
    std::vector<float> expected(out);
    for (int64_t t = 0; t < n; ++t) {
      math::matmul(linear, static_cast<int>(counts[t]), x.data() + t * in, 1, expected.data(), pool, workspace);
      EXPECT_LE(worst_row_relative_error(b.act.data() + ya + t * out, expected.data(), out, out), 1e-4)
          << out << "x" << in << ", token " << t << ", " << counts[t] << " slices";
    }
  }
}

TEST_P(VulkanMatmul, DenseMatmulInEveryStoredType) {
  MOBIQ_VULKAN_DEVICE_OR_SKIP(device);
  OpRunner run = runner(device);
  const Shader dense = shader(Shader::kMatmulDense, Shader::kMatmulDenseTiled);
  ThreadPool pool(1);
  const int64_t n = 11;
  // 77 wide: the general path; 96: the 16-byte path.
  for (auto [out, in] : {std::pair<int64_t, int64_t>{23, 77}, {41, 96}}) {
    const std::vector<float> w32 = uniform(out * in, 3), x = uniform(n * in, 4);
    std::vector<uint16_t> w16(out * in), wb16(out * in);
    for (int64_t i = 0; i < out * in; ++i) {
      w16[i] = f32_to_f16(w32[i]);
      wb16[i] = f32_to_bf16(w32[i]);
    }
    for (DType dtype : {DType::kF32, DType::kF16, DType::kBF16}) {
      const void* data = dtype == DType::kF32 ? static_cast<const void*>(w32.data())
                         : dtype == DType::kF16 ? static_cast<const void*>(w16.data()) : wb16.data();
      OpBuffers b;
      const uint32_t wa = OpBuffers::append(b.weights, data, out * in * dtype_size(dtype));
      const uint32_t xa = b.add_act(x);
      b.logits.assign(n * out, 0.0f);
      b.io[vulkan::kIoTokens] = uint32_t(n);  // the head's rows: tokens - head_first
      const auto [groups_x, groups_y] = run.matmul_grid(dense, out, n);
      ASSERT_TRUE(run.run(dense, {wa, uint32_t(dtype), uint32_t(in), uint32_t(out), xa, 0, 1}, groups_x, groups_y, b).ok());
      const DenseTensor tensor{dtype, data, out, in};
      math::MatmulWorkspace workspace(1, in);
      std::vector<float> expected(n * out);
      math::matmul_dense(tensor, x.data(), n, expected.data(), pool, workspace);
      EXPECT_LE(worst_row_relative_error(b.logits.data(), expected.data(), n * out, out), 1e-5)
          << out << "x" << in << ", dtype " << int(dtype);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Splits, VulkanMatmul, ::testing::ValuesIn(kMatmulCases),
                         [](const ::testing::TestParamInfo<MatmulCase>& info) { return std::string(info.param.name); });

// The shaders that reduce over a workgroup (RMSNorm, attention, routers) in both variants: shared
// memory, and subgroup operations where the device has them (lavapipe does).
#define MOBIQ_REDUCTION_OPTIONS(options, device, subgroups)                                    \
  if ((subgroups) && !(device)->info().features.subgroup_arithmetic)                          \
    GTEST_SKIP() << "SKIPPED: " << (device)->info().name << " has no subgroup arithmetic";     \
  vulkan::PipelineOptions options = vulkan::PipelineOptions::for_device((device)->info()); \
  options.subgroup_reductions = (subgroups)

std::string reduction_name(bool subgroups) { return subgroups ? "Subgroups" : "SharedMemory"; }

class VulkanReduction : public ::testing::TestWithParam<bool> {};

TEST_P(VulkanReduction, RmsNormAndEmbedding) {
  MOBIQ_VULKAN_DEVICE_OR_SKIP(device);
  MOBIQ_REDUCTION_OPTIONS(options, device, GetParam());
  OpRunner runner(device, options);
  const int64_t dim = 200, n = 3, vocab = 11;
  OpBuffers b;
  const std::vector<float> weight = uniform(dim, 5, 0.8f, 1.2f), x = uniform(n * dim, 6, -3.0f, 3.0f);
  const uint32_t wa = OpBuffers::append(b.weights, weight.data(), dim * 4);
  const uint32_t xa = b.add_act(x), oa = b.add_act(std::vector<float>(n * dim));
  ASSERT_TRUE(runner.run(Shader::kRmsNorm, {xa, oa, wa, uint32_t(dim), bits(1e-5f), 0}, 1, n, b).ok());
  std::vector<float> expected(n * dim);
  math::rms_norm(x.data(), DenseTensor{DType::kF32, weight.data(), 1, dim}, 1e-5f, n, dim, expected.data());
  EXPECT_LE(worst_row_relative_error(b.act.data() + oa, expected.data(), n * dim, dim), 1e-5);

  // Embedding rows gathered from an f16 table.
  const std::vector<float> table = uniform(vocab * dim, 8);
  std::vector<uint16_t> table16(table.size());
  for (size_t i = 0; i < table.size(); ++i) table16[i] = f32_to_f16(table[i]);
  OpBuffers e;
  const uint32_t ta = OpBuffers::append(e.weights, table16.data(), table16.size() * 2);
  const uint32_t ea = e.add_act(std::vector<float>(n * dim));
  e.io[vulkan::kIoTokenIds] = 40;
  e.io.resize(40 + n);
  const uint32_t tokens[] = {10, 0, 7};
  std::copy(tokens, tokens + n, e.io.begin() + 40);
  ASSERT_TRUE(runner.run(Shader::kEmbed, {ta, uint32_t(DType::kF16), uint32_t(dim), ea}, (dim + 63) / 64, n, e).ok());
  for (int64_t t = 0; t < n; ++t)
    for (int64_t i = 0; i < dim; ++i)
      ASSERT_EQ(e.act[ea + t * dim + i], f16_to_f32(table16[tokens[t] * dim + i])) << t << ", " << i;
}

// Head widths whose 4-wide quads split the workgroup's 64 invocations into 5, 12 and 1 phases, under
// both reduction variants, with an f32 and (where the device has 16-bit storage) an f16 KV cache.
struct AttentionCase {
  int32_t head_dim;
  bool subgroups;
  bool kv_f16;
};

void PrintTo(const AttentionCase& c, std::ostream* os) {
  *os << "head_dim " << c.head_dim << (c.subgroups ? ", subgroups" : "") << (c.kv_f16 ? ", f16 KV cache" : "");
}

class VulkanAttention : public ::testing::TestWithParam<AttentionCase> {};

// The cache as the device holds it (f32 or f16 values), and back.
std::vector<float> cache_words(const std::vector<float>& values, bool f16) {
  if (!f16) return values;
  std::vector<uint16_t> halves(values.size());
  for (size_t i = 0; i < values.size(); ++i) halves[i] = f32_to_f16(values[i]);
  std::vector<float> words((halves.size() + 1) / 2);
  std::memcpy(words.data(), halves.data(), halves.size() * 2);
  return words;
}
std::vector<float> cache_values(const std::vector<float>& words, size_t n, bool f16) {
  if (!f16) return std::vector<float>(words.begin(), words.begin() + n);
  std::vector<uint16_t> halves(n);
  std::memcpy(halves.data(), words.data(), n * 2);
  std::vector<float> values(n);
  for (size_t i = 0; i < n; ++i) values[i] = f16_to_f32(halves[i]);
  return values;
}

TEST_P(VulkanAttention, RopeThenAttentionOverManyChunksWithMultiQueryHeads) {
  MOBIQ_VULKAN_DEVICE_OR_SKIP(device);
  const AttentionCase a = GetParam();
  MOBIQ_REDUCTION_OPTIONS(options, device, a.subgroups);
  if (a.kv_f16 && !device->info().features.storage_16bit)
    GTEST_SKIP() << "SKIPPED: " << device->info().name << " has no 16-bit storage";
  options.kv_f16 = a.kv_f16;
  OpRunner run(device, options);
  ModelConfig c;
  c.n_heads = 4;
  c.n_kv_heads = 1;
  c.head_dim = a.head_dim;
  c.rope_theta = 500000.0f;
  c.rope_scaling = {RopeScalingType::kLlama3, 8.0f, 1.0f, 4.0f, 8192};
  const int64_t context = 150, n = 3, q_dim = c.q_dim(), kv_dim = c.kv_dim(), half = c.head_dim / 2;
  const int32_t start = 130;  // keys span three chunks of 64
  const math::Rope rope(c);
  std::vector<float> table(context * half * 2);
  for (int64_t p = 0; p < context; ++p)
    for (int64_t i = 0; i < half; ++i) {
      const float angle = static_cast<float>(p) * rope.inv_freq()[i];
      table[(p * half + i) * 2] = std::cos(angle);
      table[(p * half + i) * 2 + 1] = std::sin(angle);
    }
  // The cache before this pass: [keys][values], values the device can hold exactly.
  std::vector<float> cache = uniform(2 * context * kv_dim, 9);
  cache = cache_values(cache_words(cache, a.kv_f16), cache.size(), a.kv_f16);
  const std::vector<float> q = uniform(n * q_dim, 11), k = uniform(n * kv_dim, 12), v = uniform(n * kv_dim, 13);
  OpBuffers b;
  const uint32_t qa = b.add_act(q), ka = b.add_act(k), va = b.add_act(v), ra = b.add_act(table);
  const uint32_t oa = b.add_act(std::vector<float>(n * q_dim));
  b.kv = cache_words(cache, a.kv_f16);
  const uint32_t kc = 0, vc = uint32_t(context * kv_dim);  // offsets in values
  set_counts(b, {0}, start);
  ASSERT_TRUE(run.run(Shader::kRopeStoreKv, {qa, ka, va, uint32_t(c.n_heads), uint32_t(c.n_kv_heads),
                                             uint32_t(c.head_dim), kc, vc, ra},
                      1, n, b).ok());
  std::vector<float> q_cpu = q, k_cpu = k, expected_cache = cache;
  for (int64_t t = 0; t < n; ++t) {
    rope.apply(q_cpu.data() + t * q_dim, c.n_heads, start + int32_t(t));
    rope.apply(k_cpu.data() + t * kv_dim, c.n_kv_heads, start + int32_t(t));
    std::copy(k_cpu.begin() + t * kv_dim, k_cpu.begin() + (t + 1) * kv_dim,
              expected_cache.begin() + kc + (start + t) * kv_dim);
    std::copy(v.begin() + t * kv_dim, v.begin() + (t + 1) * kv_dim, expected_cache.begin() + vc + (start + t) * kv_dim);
  }
  for (int64_t i = 0; i < n * q_dim; ++i) ASSERT_NEAR(b.act[qa + i], q_cpu[i], 1e-5) << i;
  // Stored as f32, or rounded to f16 (either direction: Vulkan leaves the rounding mode open).
  const std::vector<float> stored = cache_values(b.kv, cache.size(), a.kv_f16);
  for (size_t i = 0; i < cache.size(); ++i)
    ASSERT_NEAR(stored[i], expected_cache[i], a.kv_f16 ? std::fabs(expected_cache[i]) / 1024 + 1e-5 : 1e-5) << i;

  ASSERT_TRUE(run.run(Shader::kAttention, {qa, oa, kc, vc, uint32_t(c.n_heads), uint32_t(c.n_kv_heads),
                                           uint32_t(c.head_dim)},
                      uint32_t(c.n_heads), n, b).ok());
  // Over the cache the device holds.
  ThreadPool pool(1);
  std::vector<float> expected(n * q_dim), scores(context);
  cpu::attention({c.n_heads, c.n_kv_heads, c.head_dim}, q_cpu.data(), stored.data() + kc, stored.data() + vc, n, start,
                 expected.data(), scores.data(), context, pool);
  EXPECT_LE(worst_row_relative_error(b.act.data() + oa, expected.data(), n * q_dim, c.head_dim), 1e-4);
}

std::vector<AttentionCase> attention_cases() {
  std::vector<AttentionCase> cases;
  for (int32_t head_dim : {48, 20, 256})
    for (bool subgroups : {false, true}) cases.push_back({head_dim, subgroups, false});
  cases.push_back({48, false, true});
  cases.push_back({256, true, true});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(HeadDims, VulkanAttention, ::testing::ValuesIn(attention_cases()),
                         [](const ::testing::TestParamInfo<AttentionCase>& info) {
                           return "HeadDim" + std::to_string(info.param.head_dim) + reduction_name(info.param.subgroups) +
                                  (info.param.kv_f16 ? "KvF16" : "KvF32");
                         });

TEST_P(VulkanReduction, RouterWritesTheCpuSliceCountsUnderTheCap) {
  MOBIQ_VULKAN_DEVICE_OR_SKIP(device);
  MOBIQ_REDUCTION_OPTIONS(options, device, GetParam());
  OpRunner runner(device, options);
  const int32_t in = 130, hidden = 5, n = 40;
  const std::vector<float> w1 = uniform(hidden * in, 14, -0.3f, 0.3f), b1 = uniform(hidden, 15, -0.1f, 0.1f);
  const std::vector<float> w2 = uniform(kResidualPlanes * (hidden + 1), 16), b2 = uniform(kResidualPlanes, 17, -0.5f, 0.5f);
  const std::vector<float> x = uniform(n * in, 18, -2.0f, 2.0f);
  RouterWeights router{in, hidden, w1.data(), b1.data(), w2.data(), b2.data()};
  std::vector<float> scratch(hidden), scores(n * kResidualPlanes);
  math::router_scores(router, x.data(), n, scratch.data(), scores.data());
  // The threshold at the median first score, so about half the tokens read residual slices.
  std::vector<float> first(n);
  for (int t = 0; t < n; ++t) first[t] = scores[t * kResidualPlanes];
  std::nth_element(first.begin(), first.begin() + n / 2, first.end());
  const float threshold = first[n / 2];
  for (uint32_t cap : {4u, 2u}) {
    OpBuffers b;
    const uint32_t a1 = OpBuffers::append(b.weights, w1.data(), w1.size() * 4);
    const uint32_t a2 = OpBuffers::append(b.weights, b1.data(), b1.size() * 4);
    const uint32_t a3 = OpBuffers::append(b.weights, w2.data(), w2.size() * 4);
    const uint32_t a4 = OpBuffers::append(b.weights, b2.data(), b2.size() * 4);
    const uint32_t xa = b.add_act(x);
    set_counts(b, std::vector<uint32_t>(n, 0));
    b.io[vulkan::kIoThresholds] = 20;
    b.io[20] = bits(threshold);  // offset 0 (the executor test moves it)
    b.io[vulkan::kIoSliceCap] = cap;
    ASSERT_TRUE(runner.run(Shader::kRouter, {xa, uint32_t(in), uint32_t(hidden), a1, a2, a3, a4, 0, 4}, 1, n, b).ok());
    std::vector<int> histogram(kMaxPlanes + 1, 0);
    for (int t = 0; t < n; ++t) {
      const uint32_t expected = std::min<uint32_t>(math::slices_from_scores(scores.data() + t * kResidualPlanes, threshold), cap);
      EXPECT_EQ(b.io[32 + t], expected) << "token " << t << ", cap " << cap;
      ++histogram[expected];
    }
    if (cap == 4) {
      EXPECT_LT(*std::max_element(histogram.begin(), histogram.end()), n) << "counts should vary";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, VulkanReduction, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) { return reduction_name(info.param); });

TEST(VulkanOps, SwigluAddAndArgmax) {
  MOBIQ_VULKAN_DEVICE_OR_SKIP(device);
  OpRunner runner(device);
  const int64_t dim = 330, n = 2;
  const std::vector<float> gate = uniform(n * dim, 19, -4.0f, 4.0f), up = uniform(n * dim, 20);
  OpBuffers b;
  const uint32_t ga = b.add_act(gate), ua = b.add_act(up);
  ASSERT_TRUE(runner.run(Shader::kSwiglu, {ga, ua, uint32_t(dim)}, (dim + 63) / 64, n, b).ok());
  std::vector<float> expected = gate;
  math::swiglu(expected.data(), up.data(), n * dim);
  for (int64_t i = 0; i < n * dim; ++i) ASSERT_NEAR(b.act[ga + i], expected[i], 1e-5) << i;
  ASSERT_TRUE(runner.run(Shader::kAdd, {ga, ua, uint32_t(dim)}, (dim + 63) / 64, n, b).ok());
  for (int64_t i = 0; i < n * dim; ++i) ASSERT_NEAR(b.act[ga + i], expected[i] + up[i], 1e-5) << i;

  // The first of two equal maxima, like std::max_element.
  OpBuffers a;
  a.logits = uniform(1001, 21);
  a.logits[700] = a.logits[313] = 5.0f;
  ASSERT_TRUE(runner.run(Shader::kArgmax, {1001}, 1, 1, a).ok());
  EXPECT_EQ(a.io[vulkan::kIoArgmax], 313u);
}

}  // namespace
}  // namespace mobiq::test
