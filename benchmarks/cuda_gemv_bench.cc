// The routed slice GEMV (backends/cuda/ops/sliced_gemv_rowwarp.cu) at k = 1..4 against cuBLAS fp16
// GEMV (cublasGemmEx, n = 1) on the decode shapes of LLaMA-2-7B / LLaMA-3-8B, in one process: time per
// call, bytes read per second (planes 0..k-1 + half2 (s, z) + x for ours, the fp16 matrix for
// cuBLAS), that rate as a fraction of a measured device-to-device copy, and the speedup over cuBLAS.
// A plain program (not Google Benchmark); exits 0 with a message when no GPU is present.
#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "backends/cuda/cuda_buffer.h"
#include "backends/cuda/cuda_device.h"
#include "backends/cuda/ops/ops.h"

namespace {

using mobiq::cuda::DeviceBuffer;

#define BENCH_CHECK(expr)                                                            \
  do {                                                                               \
    if (!(expr)) {                                                                   \
      std::fprintf(stderr, "cuda_gemv_bench: %s failed at line %d\n", #expr, __LINE__); \
      std::exit(1);                                                                  \
    }                                                                                \
  } while (0)

DeviceBuffer random_bytes(size_t bytes, uint32_t seed) {
  std::vector<uint8_t> host(bytes);
  std::mt19937 rng(seed);
  for (uint8_t& b : host) b = static_cast<uint8_t>(rng());
  auto buffer = DeviceBuffer::allocate(bytes);
  BENCH_CHECK(buffer.ok());
  BENCH_CHECK(buffer->upload(host.data(), bytes).ok());
  return std::move(buffer).value();
}

// Milliseconds per call of `body`: the mean of `iterations` calls after 10 warm-up calls.
template <typename F>
double time_ms(F&& body, int iterations = 200) {
  cudaEvent_t begin, end;
  BENCH_CHECK(cudaEventCreate(&begin) == cudaSuccess && cudaEventCreate(&end) == cudaSuccess);
  for (int i = 0; i < 10; ++i) body();
  BENCH_CHECK(cudaEventRecord(begin) == cudaSuccess);
  for (int i = 0; i < iterations; ++i) body();
  BENCH_CHECK(cudaEventRecord(end) == cudaSuccess && cudaEventSynchronize(end) == cudaSuccess);
  float ms = 0.0f;
  BENCH_CHECK(cudaEventElapsedTime(&ms, begin, end) == cudaSuccess);
  cudaEventDestroy(begin);
  cudaEventDestroy(end);
  return ms / iterations;
}

// Device-to-device copy bandwidth (read + write bytes per second) over 1 GiB.
double copy_bandwidth() {
  const size_t bytes = size_t{1} << 30;
  auto a = DeviceBuffer::allocate(bytes), b = DeviceBuffer::allocate(bytes);
  BENCH_CHECK(a.ok() && b.ok());
  const double ms = time_ms([&] { BENCH_CHECK(cudaMemcpyAsync(b->data(), a->data(), bytes, cudaMemcpyDeviceToDevice) == cudaSuccess); }, 20);
  return 2.0 * bytes / (ms * 1e-3);
}

}  // namespace

int main() {
  const auto devices = mobiq::cuda::list_devices();
  if (devices.empty()) {
    std::printf("cuda_gemv_bench: no CUDA device, nothing measured\n");
    return 0;
  }
  std::printf("device: %s (sm_%d%d)\n", devices[0].name.c_str(), devices[0].major, devices[0].minor);
  const double copy = copy_bandwidth();
  std::printf("device-to-device copy: %.0f GB/s\n\n", copy * 1e-9);
  cublasHandle_t cublas;
  BENCH_CHECK(cublasCreate(&cublas) == CUBLAS_STATUS_SUCCESS);
  std::printf("%-12s %-8s %10s %10s %8s %9s\n", "out x in", "kernel", "us", "GB/s", "of copy", "vs cuBLAS");
  const int shapes[][2] = {{4096, 4096}, {4096, 14336}, {14336, 4096}, {11008, 4096}};
  for (const auto& shape : shapes) {
    const int out = shape[0], in = shape[1];
    // cuBLAS: y = W x with W [out][in] row-major fp16 = column-major [in][out], so op(A) = A^T.
    DeviceBuffer w16 = random_bytes(size_t(out) * in * 2, 1), x16 = random_bytes(size_t(in) * 2, 2);
    auto y16 = DeviceBuffer::allocate(size_t(out) * 2);
    BENCH_CHECK(y16.ok());
    // Random bytes are not all finite halves; the timing does not depend on the values.
    const float alpha = 1.0f, beta = 0.0f;
    const double cublas_ms = time_ms([&] {
      BENCH_CHECK(cublasGemmEx(cublas, CUBLAS_OP_T, CUBLAS_OP_N, out, 1, in, &alpha, w16.data(), CUDA_R_16F, in,
                               x16.data(), CUDA_R_16F, in, &beta, y16->data(), CUDA_R_16F, out, CUBLAS_COMPUTE_32F,
                               CUBLAS_GEMM_DEFAULT) == CUBLAS_STATUS_SUCCESS);
    });
    const double cublas_bytes = double(out) * in * 2 + in * 2.0 + out * 2.0;
    std::printf("%5dx%-6d %-8s %10.1f %10.0f %7.0f%% %9s\n", out, in, "cublas", cublas_ms * 1e3,
                cublas_bytes / (cublas_ms * 1e-3) * 1e-9, 100.0 * cublas_bytes / (cublas_ms * 1e-3) / copy, "1.00x");
    const int64_t stride = mobiq::cuda::device_row_stride(in), groups = mobiq::n_groups(in);
    DeviceBuffer planes[mobiq::kMaxPlanes];
    for (int p = 0; p < mobiq::kMaxPlanes; ++p) planes[p] = random_bytes(size_t(stride) * out, 10 + p);
    std::vector<uint32_t> sz(size_t(out) * groups, 0x3C002000u);  // (s, z) = (2^-11, 1.0) as half2
    auto scale_zero = DeviceBuffer::allocate(sz.size() * 4);
    BENCH_CHECK(scale_zero.ok() && scale_zero->upload(sz.data(), sz.size() * 4).ok());
    std::vector<float> x_host(in, 0.01f);
    auto x = DeviceBuffer::allocate(size_t(in) * 4), y = DeviceBuffer::allocate(size_t(out) * 4),
         k = DeviceBuffer::allocate(1);
    BENCH_CHECK(x.ok() && y.ok() && k.ok() && x->upload(x_host.data(), x_host.size() * 4).ok());
    mobiq::cuda::SlicedView view{};
    for (int p = 0; p < mobiq::kMaxPlanes; ++p) view.planes[p] = planes[p].as<uint8_t>();
    view.scale_zero = scale_zero->as<uint32_t>();
    view.out = out;
    view.in = in;
    view.row_stride = static_cast<int32_t>(stride);
    view.n_groups = static_cast<int32_t>(groups);
    for (uint8_t slices = 1; slices <= mobiq::kMaxPlanes; ++slices) {
      BENCH_CHECK(k->upload(&slices, 1).ok());
      const double ms = time_ms([&] {
        BENCH_CHECK(mobiq::cuda::sliced_gemv(view, x->as<float>(), k->as<uint8_t>(), 1, y->as<float>(), nullptr).ok());
      });
      const double bytes = double(slices) * stride * out + out * groups * 4.0 + in * 4.0 + out * 4.0;
      char name[16];
      std::snprintf(name, sizeof name, "k=%d", slices);
      std::printf("%5dx%-6d %-8s %10.1f %10.0f %7.0f%% %8.2fx\n", out, in, name, ms * 1e3, bytes / (ms * 1e-3) * 1e-9,
                  100.0 * bytes / (ms * 1e-3) / copy, cublas_ms / ms);
    }
  }
  BENCH_CHECK(cudaDeviceSynchronize() == cudaSuccess);
  cublasDestroy(cublas);
  return 0;
}
