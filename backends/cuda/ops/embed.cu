// Embedding gather: one block per token, threads over the hidden width.
#include "backends/cuda/cuda_status.h"
#include "backends/cuda/ops/device_math.cuh"
#include "backends/cuda/ops/ops.h"

namespace mobiq::cuda {
namespace {

template <DType kType>
__global__ void embed_kernel(DenseView table, const int32_t* tokens, float* x) {
  const int t = blockIdx.x;
  const int64_t row = tokens[t];
  for (int i = threadIdx.x; i < table.cols; i += blockDim.x)
    x[int64_t{t} * table.cols + i] = dense_element<kType>(table, row, i);
}

}  // namespace

Status embed_rows(const DenseView& table, const int32_t* tokens, int n, float* x, cudaStream_t stream) {
  switch (table.dtype) {
    case DType::kF32: embed_kernel<DType::kF32><<<n, 256, 0, stream>>>(table, tokens, x); break;
    case DType::kF16: embed_kernel<DType::kF16><<<n, 256, 0, stream>>>(table, tokens, x); break;
    case DType::kBF16: embed_kernel<DType::kBF16><<<n, 256, 0, stream>>>(table, tokens, x); break;
    case DType::kQ8: embed_kernel<DType::kQ8><<<n, 256, 0, stream>>>(table, tokens, x); break;
  }
  return check_launch("embed_kernel");
}

}  // namespace mobiq::cuda
