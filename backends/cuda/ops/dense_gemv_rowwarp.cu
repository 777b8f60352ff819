// Dense matrix times vectors (the output head, and linears a file stores unsliced): y[t] = W x[t].
// Grid (ceil(rows / 8), n), 256 threads: warp w of block b owns row 8b + w; lanes stride the columns
// (coalesced), x[t] in shared memory. W is read once per token: fine for decode and for the last
// token's logits; a batch of all logits reads it n times (no GEMM tiling yet).
#include "backends/cuda/cuda_status.h"
#include "backends/cuda/ops/device_math.cuh"
#include "backends/cuda/ops/ops.h"

namespace mobiq::cuda {
namespace {

constexpr int kWarps = 8;

template <DType kType>
__global__ void __launch_bounds__(kWarps * 32) dense_gemv_kernel(DenseView w, const float* x, float* y) {
  extern __shared__ float xs[];  // [w.cols]
  const int t = blockIdx.y, lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  for (int i = threadIdx.x; i < w.cols; i += blockDim.x) xs[i] = x[int64_t{t} * w.cols + i];
  __syncthreads();
  const int64_t row = int64_t{blockIdx.x} * kWarps + warp;
  if (row >= w.rows) return;
  float acc = 0.0f;
  for (int i = lane; i < w.cols; i += 32) acc = fmaf(dense_element<kType>(w, row, i), xs[i], acc);
  acc = warp_sum(acc);
  if (lane == 0) y[int64_t{t} * w.rows + row] = acc;
}

template <DType kType>
Status launch(const DenseView& w, const float* x, int n, float* y, cudaStream_t stream) {
  const size_t smem = static_cast<size_t>(w.cols) * sizeof(float);
  if (smem > 48 * 1024)
    MOBIQ_CUDA_RETURN_IF_ERROR(cudaFuncSetAttribute(dense_gemv_kernel<kType>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                    static_cast<int>(smem)));
  dense_gemv_kernel<kType><<<dim3((w.rows + kWarps - 1) / kWarps, n), kWarps * 32, smem, stream>>>(w, x, y);
  return check_launch("dense_gemv_kernel");
}

}  // namespace

Status dense_matmul(const DenseView& w, const float* x, int n, float* y, cudaStream_t stream) {
  switch (w.dtype) {
    case DType::kF32: return launch<DType::kF32>(w, x, n, y, stream);
    case DType::kF16: return launch<DType::kF16>(w, x, n, y, stream);
    case DType::kBF16: return launch<DType::kBF16>(w, x, n, y, stream);
    case DType::kQ8: return launch<DType::kQ8>(w, x, n, y, stream);
  }
  return internal_error("cuda dense_matmul: unknown dtype");
}

}  // namespace mobiq::cuda
