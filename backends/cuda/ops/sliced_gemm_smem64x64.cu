// Sliced GEMM for prefill, shared-memory tiled on the CUDA cores (no tensor cores yet): y[t][r] =
// W_{k[t]}[r] . x[t] for a batch of tokens with mixed slice counts.
//
// Grid (ceil(out / 64), ceil(n / 64)), 256 threads; thread (ty, tx) = (tid / 16, tid % 16) accumulates
// rows ty + 16i and tokens tx + 16j (i, j < 4). Along `in`, 32 columns at a time (inside one group of
// 128): x [64 tokens][32] is staged once, then for each plane p < the tile's largest k the plane's
// codes are dequantized to s 4^-p (c_p - m_p) (m_0 = z, m_p = 1.5) into [64 rows][32] and added to
// the tokens with p < k[t] only: planes are additive, so each plane is read once per tile.
#include "backends/cuda/cuda_status.h"
#include "backends/cuda/ops/ops.h"

namespace mobiq::cuda {
namespace {

constexpr int kTileRows = 64;
constexpr int kTileTokens = 64;
constexpr int kColumns = 32;

__global__ void __launch_bounds__(256) sliced_gemm_kernel(SlicedView w, const float* x, const uint8_t* k_tokens, int n,
                                                          float* y) {
  __shared__ float xs[kTileTokens][kColumns + 1];
  __shared__ float ws[kTileRows][kColumns + 1];
  __shared__ uint8_t ks[kTileTokens];
  __shared__ int k_max;
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  const int row0 = blockIdx.x * kTileRows, token0 = blockIdx.y * kTileTokens;
  if (tid < kTileTokens) ks[tid] = token0 + tid < n ? k_tokens[token0 + tid] : 0;
  __syncthreads();
  if (tid == 0) {
    int most = 0;
    for (int i = 0; i < kTileTokens; ++i) most = max(most, static_cast<int>(ks[i]));
    k_max = most;
  }
  float acc[4][4] = {};
  // The dequantizing thread's row and 8 columns (two packed bytes) of the tile.
  const int w_row = tid / 4, w_byte = (tid % 4) * 2;
  const int64_t row = row0 + w_row;
  for (int col0 = 0; col0 < w.in; col0 += kColumns) {
    __syncthreads();  // the previous tile's readers are done (and k_max is visible)
    for (int e = tid; e < kTileTokens * kColumns; e += blockDim.x) {
      const int tt = e / kColumns, cc = e % kColumns;
      xs[tt][cc] = token0 + tt < n && col0 + cc < w.in ? x[int64_t{token0 + tt} * w.in + col0 + cc] : 0.0f;
    }
    for (int p = 0; p < k_max; ++p) {
      if (p > 0) __syncthreads();  // readers of plane p - 1 are done
      if (row < w.out) {
        const uint16_t codes = *reinterpret_cast<const uint16_t*>(w.planes[p] + row * w.row_stride + col0 / 4 + w_byte);
        const uint32_t packed = w.scale_zero[row * w.n_groups + col0 / kGroupSize];
        const float2 sz = __half22float2(*reinterpret_cast<const __half2*>(&packed));
        const float scale = sz.x / static_cast<float>(1 << (2 * p));
        const float zero = p == 0 ? sz.y : kResidualZero;
#pragma unroll
        for (int j = 0; j < 8; ++j) ws[w_row][w_byte * 4 + j] = scale * (static_cast<float>((codes >> (2 * j)) & 3u) - zero);
      } else {
#pragma unroll
        for (int j = 0; j < 8; ++j) ws[w_row][w_byte * 4 + j] = 0.0f;
      }
      __syncthreads();
      bool use[4];
#pragma unroll
      for (int j = 0; j < 4; ++j) use[j] = p < ks[tx + 16 * j];
#pragma unroll 8
      for (int c = 0; c < kColumns; ++c) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          const float wv = ws[ty + 16 * i][c];
#pragma unroll
          for (int j = 0; j < 4; ++j)
            if (use[j]) acc[i][j] = fmaf(wv, xs[tx + 16 * j][c], acc[i][j]);
        }
      }
    }
  }
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int64_t r = row0 + ty + 16 * i;
      const int t = token0 + tx + 16 * j;
      if (r < w.out && t < n) y[int64_t{t} * w.out + r] = acc[i][j];
    }
}

}  // namespace

Status sliced_gemm(const SlicedView& w, const float* x, const uint8_t* k, int n, float* y, cudaStream_t stream) {
  const dim3 grid((w.out + kTileRows - 1) / kTileRows, (n + kTileTokens - 1) / kTileTokens);
  sliced_gemm_kernel<<<grid, 256, 0, stream>>>(w, x, k, n, y);
  return check_launch("sliced_gemm_kernel");
}

}  // namespace mobiq::cuda
