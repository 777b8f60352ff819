// Each CUDA kernel against its CPU counterpart (backends/cpu/ops), on the awkward shapes of
// tests/support/synthetic_model.h (widths that are not multiples of 64 or 128). Bounds: relative L2
// error per output row; f32 arithmetic in a different order gives ~1e-6, fp16 KV caches ~1e-3.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "backends/cpu/ops/attention.h"
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_buffer.h"
#include "backends/cuda/cuda_loaded_model.h"
#include "backends/cuda/ops/ops.h"
#include "runtime/core/half.h"
#include "runtime/math/rms_norm.h"
#include "runtime/math/slice_codes.h"
#include "runtime/math/tensor_read.h"
#include "tests/cuda/cuda_test_device.h"
#include "tests/support/relative_error.h"
#include "tests/support/synthetic_model.h"

namespace mobiq::cuda {
namespace {

std::vector<float> random_vector(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

double relative_error(const std::vector<float>& expected, const std::vector<float>& actual) {
  return test::worst_row_relative_error(actual.data(), expected.data(), expected.size(), expected.size());
}

template <typename T>
DeviceBuffer upload(const std::vector<T>& host) {
  auto buffer = DeviceBuffer::allocate(host.size() * sizeof(T));
  EXPECT_TRUE(buffer.ok());
  EXPECT_TRUE(buffer->upload(host.data(), host.size() * sizeof(T)).ok());
  return std::move(buffer).value();
}

template <typename T>
std::vector<T> download(const DeviceBuffer& buffer, size_t count) {
  std::vector<T> host(count);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_TRUE(buffer.download(host.data(), count * sizeof(T)).ok());
  return host;
}

// W_k x per token on the CPU, from the same dequantization the reference matmul uses.
std::vector<float> cpu_sliced(const SlicedTensor& w, const std::vector<float>& x, const std::vector<uint8_t>& k) {
  const int64_t n = static_cast<int64_t>(k.size());
  std::vector<float> y(n * w.out), row(w.in);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t r = 0; r < w.out; ++r) {
      math::dequantize_row(w, k[t], r, row.data());
      double acc = 0.0;
      for (int64_t i = 0; i < w.in; ++i) acc += double(row[i]) * x[t * w.in + i];
      y[t * w.out + r] = static_cast<float>(acc);
    }
  return y;
}

TEST(CudaOps, SlicedGemvAndGemmMatchTheCpuAtEverySliceCount) {
  MOBIQ_REQUIRE_CUDA_DEVICE();
  const Model model = test::make_synthetic_model(test::SyntheticShape{}, 5);
  auto backend = CudaBackend::open(-1);
  ASSERT_NE(backend, nullptr);
  auto loaded = backend->load(model);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  const auto& cuda_model = static_cast<const CudaLoadedModel&>(**loaded);
  for (int index : {0, 4, 6}) {  // q (in = hidden), gate (out = intermediate), down (in = intermediate)
    const LinearWeights& linear = index == 0   ? model.weights().layers[1].q
                                  : index == 4 ? model.weights().layers[1].gate
                                               : model.weights().layers[1].down;
    const SlicedView view = cuda_model.sliced_linear(1, index);
    // 70 tokens: two token tiles of the GEMM, every slice count mixed in each.
    const int n = 70;
    std::vector<uint8_t> k(n);
    for (int t = 0; t < n; ++t) k[t] = static_cast<uint8_t>(1 + (t * 7 + 3) % 4);
    const std::vector<float> x = random_vector(int64_t{n} * view.in, 17 + index);
    DeviceBuffer dx = upload(x), dk = upload(k);
    auto dy = DeviceBuffer::allocate(size_t{n} * view.out * sizeof(float));
    ASSERT_TRUE(dy.ok());
    const std::vector<float> expected = cpu_sliced(linear.sliced, x, k);
    ASSERT_TRUE(sliced_gemm(view, dx.as<float>(), dk.as<uint8_t>(), n, dy->as<float>(), nullptr).ok());
    EXPECT_LT(relative_error(expected, download<float>(*dy, expected.size())), 1e-5) << "gemm, linear " << index;
    ASSERT_TRUE(sliced_gemv(view, dx.as<float>(), dk.as<uint8_t>(), n, dy->as<float>(), nullptr).ok());
    EXPECT_LT(relative_error(expected, download<float>(*dy, expected.size())), 1e-5) << "gemv, linear " << index;
  }
}

TEST(CudaOps, DenseMatmulMatchesTheCpuForEachDtype) {
  MOBIQ_REQUIRE_CUDA_DEVICE();
  const int rows = 37, cols = 300, n = 3;
  const std::vector<float> w = random_vector(rows * cols, 1), x = random_vector(n * cols, 2);
  for (DType dtype : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8}) {
    std::vector<uint8_t> bytes(dense_bytes(dtype, rows, cols));
    for (int64_t i = 0; i < int64_t{rows} * cols; ++i) {
      if (dtype == DType::kF32) reinterpret_cast<float*>(bytes.data())[i] = w[i];
      if (dtype == DType::kF16) reinterpret_cast<uint16_t*>(bytes.data())[i] = f32_to_f16(w[i]);
      if (dtype == DType::kBF16) reinterpret_cast<uint16_t*>(bytes.data())[i] = f32_to_bf16(w[i]);
    }
    if (dtype == DType::kQ8) {
      float* scales = reinterpret_cast<float*>(bytes.data());
      int8_t* codes = reinterpret_cast<int8_t*>(bytes.data() + int64_t{rows} * n_groups(cols) * 4);
      for (int64_t i = 0; i < int64_t{rows} * n_groups(cols); ++i) scales[i] = 1.0f / 127.0f;
      for (int64_t i = 0; i < int64_t{rows} * cols; ++i) codes[i] = static_cast<int8_t>(std::lround(w[i] * 127.0f));
    }
    const DenseTensor host{dtype, bytes.data(), rows, cols};
    std::vector<float> expected(n * rows), row(cols);
    for (int r = 0; r < rows; ++r) {
      math::read_row(host, r, row.data());
      for (int t = 0; t < n; ++t) {
        double acc = 0.0;
        for (int i = 0; i < cols; ++i) acc += double(row[i]) * x[t * cols + i];
        expected[t * rows + r] = static_cast<float>(acc);
      }
    }
    DeviceBuffer dw = upload(bytes), dx = upload(x);
    auto dy = DeviceBuffer::allocate(expected.size() * sizeof(float));
    ASSERT_TRUE(dy.ok());
    ASSERT_TRUE(dense_matmul({dtype, dw.data(), rows, cols}, dx.as<float>(), n, dy->as<float>(), nullptr).ok());
    EXPECT_LT(relative_error(expected, download<float>(*dy, expected.size())), 1e-5) << "dtype " << int(dtype);
    auto index = DeviceBuffer::allocate(sizeof(int32_t));
    ASSERT_TRUE(index.ok());
    ASSERT_TRUE(argmax(dy->as<float>(), rows, index->as<int32_t>(), nullptr).ok());
    EXPECT_EQ(download<int32_t>(*index, 1)[0], std::max_element(expected.begin(), expected.begin() + rows) - expected.begin());
  }
}

TEST(CudaOps, RmsNormMatchesTheCpu) {
  MOBIQ_REQUIRE_CUDA_DEVICE();
  const int n = 5, dim = 200;
  const std::vector<float> x = random_vector(n * dim, 3), w = random_vector(dim, 4);
  std::vector<float> expected(n * dim);
  math::rms_norm(x.data(), DenseTensor{DType::kF32, w.data(), 1, dim}, 1e-5f, n, dim, expected.data());
  DeviceBuffer dx = upload(x), dw = upload(w), dy = upload(std::vector<float>(n * dim));
  ASSERT_TRUE(rms_norm(dx.as<float>(), dw.as<float>(), 1e-5f, n, dim, dy.as<float>(), nullptr).ok());
  EXPECT_LT(relative_error(expected, download<float>(dy, expected.size())), 1e-6);
}

// A 300-position cache (three chunks of split-K), then 5 new tokens; keys and values rounded to fp16 for
// the CPU too, so only the order of arithmetic differs.
TEST(CudaOps, SplitKAttentionMatchesTheCpuOverALongCache) {
  MOBIQ_REQUIRE_CUDA_DEVICE();
  const AttentionShape shape{8, 2, 64};
  const int start = 300, n = 5, kv_dim = shape.n_kv_heads * shape.head_dim, q_dim = shape.n_heads * shape.head_dim;
  std::vector<float> keys = random_vector(int64_t{start + n} * kv_dim, 5), values = random_vector(int64_t{start + n} * kv_dim, 6);
  std::vector<uint16_t> k_half(keys.size()), v_half(values.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    k_half[i] = f32_to_f16(keys[i]);
    v_half[i] = f32_to_f16(values[i]);
    keys[i] = f16_to_f32(k_half[i]);
    values[i] = f16_to_f32(v_half[i]);
  }
  const std::vector<float> q = random_vector(int64_t{n} * q_dim, 7);
  std::vector<float> expected(n * q_dim), scores(start + n);
  ThreadPool pool(1);
  cpu::attention({shape.n_heads, shape.n_kv_heads, shape.head_dim}, q.data(), keys.data(), values.data(), n, start,
                 expected.data(), scores.data(), start + n, pool);
  DeviceBuffer dq = upload(q), dk = upload(k_half), dv = upload(v_half), dstart = upload(std::vector<int32_t>{start});
  DeviceBuffer dout = upload(std::vector<float>(n * q_dim));
  DeviceBuffer partial = upload(std::vector<float>(attention_partial_floats(n, shape, start + n)));
  ASSERT_TRUE(attention(dq.as<float>(), dk.as<__half>(), dv.as<__half>(), dstart.as<int32_t>(), 0, n, start + n, shape,
                        partial.as<float>(), dout.as<float>(), nullptr)
                  .ok());
  EXPECT_LT(relative_error(expected, download<float>(dout, expected.size())), 1e-5);
}

}  // namespace
}  // namespace mobiq::cuda
