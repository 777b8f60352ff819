// Routed sliced GEMV for decode: y[t][r] = W_k[r] . x[t], k = k_tokens[t] read on the device.
//
// Grid (ceil(out / 8), n), 256 threads: warp w of block b owns row 8b + w. Lane l reads the 16-byte
// chunks l, l + 32, ... of its row (64 columns each, half a group of 128) from planes 0..k-1 only, one
// 128-bit load per plane, then per column rebuilds the k-plane code by shift-and-add,
//   q = c_0 << 2(k-1) | c_1 << 2(k-2) | ... | c_{k-1},
// and adds q * x. Per chunk it applies the group's affine map (format/SLICE_LAYOUT.md):
//   W_k x = step * (dot(q, x) - offset * sum(x)),  step = s / 4^(k-1),  offset = z 4^(k-1) + (4^(k-1) - 1) / 2.
// x[t] sits in shared memory padded with zeros to the row stride's 64-column chunks, one float of
// padding per chunk so the lanes' chunk-strided reads fall in different banks; sum(x) per chunk is
// computed once per block.
#include "backends/cuda/cuda_status.h"
#include "backends/cuda/ops/device_math.cuh"
#include "backends/cuda/ops/ops.h"

namespace mobiq::cuda {
namespace {

constexpr int kWarps = 8;
constexpr int kChunkColumns = 64;
constexpr int kChunkStride = kChunkColumns + 1;  // floats per chunk in shared memory

template <int K>
__device__ __forceinline__ float row_dot(const SlicedView& w, int64_t row, const float* xs, const float* chunk_sums,
                                         int chunks, int lane) {
  constexpr float kTop = static_cast<float>(1 << (2 * (K - 1)));
  float acc = 0.0f;
  for (int c = lane; c < chunks; c += 32) {
    uint4 words[K];
#pragma unroll
    for (int p = 0; p < K; ++p)
      words[p] = __ldg(reinterpret_cast<const uint4*>(w.planes[p] + row * w.row_stride) + c);
    const uint32_t packed = w.scale_zero[row * w.n_groups + c / 2];
    const float2 sz = __half22float2(*reinterpret_cast<const __half2*>(&packed));
    const float* xc = xs + c * kChunkStride;
    float dot = 0.0f;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      uint32_t plane_word[K];
#pragma unroll
      for (int p = 0; p < K; ++p) plane_word[p] = i == 0 ? words[p].x : i == 1 ? words[p].y : i == 2 ? words[p].z : words[p].w;
#pragma unroll
      for (int j = 0; j < 16; ++j) {
        uint32_t q = 0;
#pragma unroll
        for (int p = 0; p < K; ++p) q = (q << 2) | ((plane_word[p] >> (2 * j)) & 3u);
        dot = fmaf(static_cast<float>(q), xc[16 * i + j], dot);
      }
    }
    const float step = sz.x / kTop, offset = sz.y * kTop + 0.5f * (kTop - 1.0f);
    acc = fmaf(step, dot - offset * chunk_sums[c], acc);
  }
  return warp_sum(acc);
}

__global__ void __launch_bounds__(kWarps * 32) sliced_gemv_kernel(SlicedView w, const float* x, const uint8_t* k_tokens,
                                                                  float* y) {
  extern __shared__ float smem[];  // xs [chunks][kChunkStride], chunk_sums [chunks]
  const int chunks = w.row_stride / 16;
  float* xs = smem;
  float* chunk_sums = smem + chunks * kChunkStride;
  const int t = blockIdx.y, lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const float* xt = x + int64_t{t} * w.in;
  for (int i = threadIdx.x; i < chunks * kChunkColumns; i += blockDim.x)
    xs[i / kChunkColumns * kChunkStride + i % kChunkColumns] = i < w.in ? xt[i] : 0.0f;
  __syncthreads();
  for (int c = warp; c < chunks; c += kWarps) {
    const float sum = warp_sum(xs[c * kChunkStride + lane] + xs[c * kChunkStride + 32 + lane]);
    if (lane == 0) chunk_sums[c] = sum;
  }
  __syncthreads();
  const int64_t row = int64_t{blockIdx.x} * kWarps + warp;
  if (row >= w.out) return;
  float result = 0.0f;
  switch (k_tokens[t]) {
    case 1: result = row_dot<1>(w, row, xs, chunk_sums, chunks, lane); break;
    case 2: result = row_dot<2>(w, row, xs, chunk_sums, chunks, lane); break;
    case 3: result = row_dot<3>(w, row, xs, chunk_sums, chunks, lane); break;
    default: result = row_dot<4>(w, row, xs, chunk_sums, chunks, lane); break;
  }
  if (lane == 0) y[int64_t{t} * w.out + row] = result;
}

}  // namespace

Status sliced_gemv(const SlicedView& w, const float* x, const uint8_t* k, int n, float* y, cudaStream_t stream) {
  const int chunks = w.row_stride / 16;
  const size_t smem = static_cast<size_t>(chunks) * (kChunkStride + 1) * sizeof(float);
  if (smem > 48 * 1024)
    MOBIQ_CUDA_RETURN_IF_ERROR(
        cudaFuncSetAttribute(sliced_gemv_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)));
  const dim3 grid((w.out + kWarps - 1) / kWarps, n);
  sliced_gemv_kernel<<<grid, kWarps * 32, smem, stream>>>(w, x, k, y);
  return check_launch("sliced_gemv_kernel");
}

}  // namespace mobiq::cuda
