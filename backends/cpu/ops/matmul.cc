#include "backends/cpu/ops/matmul.h"

#include <algorithm>

#include "backends/cpu/ops/slice_codes.h"
#include "backends/cpu/ops/tensor_read.h"
#include "backends/cpu/ops/vector_math.h"
#include "format/slice_layout.h"

namespace mobiq::cpu {
namespace {

constexpr int kTileRows = 16;    // output rows per tile of the batched path (one or two SIMD registers)
constexpr int kTileTokens = 6;   // tokens per micro-kernel call: 6 x 16 accumulators fit AVX2's registers
constexpr int kRowsPerChunk = 32;

// ---- One or a few tokens (decode): dot products along rows, no weight copy. ----

float dot_codes(const uint8_t* q, const float* x, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += static_cast<float>(q[i + l]) * x[i + l];
  float s = 0.0f;
  for (; i < n; ++i) s += static_cast<float>(q[i]) * x[i];
  for (int l = 0; l < kLanes; ++l) s += acc[l];
  return s;
}

template <DType kType>
float dot_dense_row(const void* row, const float* x, int64_t n) {
  if constexpr (kType == DType::kF32) {
    return dot(static_cast<const float*>(row), x, n);
  } else {
    const uint16_t* w = static_cast<const uint16_t*>(row);
    float acc[kLanes] = {};
    auto widen = [](uint16_t h) { return kType == DType::kBF16 ? bf16_to_f32(h) : f16_to_f32(h); };
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
      for (int l = 0; l < kLanes; ++l) acc[l] += widen(w[i + l]) * x[i + l];
    float s = 0.0f;
    for (; i < n; ++i) s += widen(w[i]) * x[i];
    for (int l = 0; l < kLanes; ++l) s += acc[l];
    return s;
  }
}

template <DType kType>
void gemv_dense(const DenseTensor& w, const float* x, int64_t n, float* y, ThreadPool& pool) {
  const int64_t in = w.cols, out = w.rows;
  const char* base = static_cast<const char*>(w.data);
  const int64_t row_bytes = in * dtype_size(kType);
  pool.parallel_for(out, kRowsPerChunk, [&](int64_t r0, int64_t r1, int) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t t = 0; t < n; ++t) y[t * out + r] = dot_dense_row<kType>(base + r * row_bytes, x + t * in, in);
  });
}

// y_r = sum_g step_g * (dot(q_g, x_g) - offset_g * sum(x_g)), with sum(x_g) computed once per token.
void gemv_sliced(const SlicedTensor& w, int k, const float* x, int64_t n, float* y, ThreadPool& pool,
                 float* group_sums) {
  const int64_t in = w.in, out = w.out, groups = n_groups(in);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t col0 = g * kGroupSize;
      group_sums[t * groups + g] = sum(x + t * in + col0, std::min<int64_t>(kGroupSize, in - col0));
    }
  pool.parallel_for(out, kRowsPerChunk, [&](int64_t r0, int64_t r1, int) {
    uint8_t q[kGroupSize];
    for (int64_t r = r0; r < r1; ++r) {
      float acc[kTileTokens] = {};
      for (int64_t g = 0; g < groups; ++g) {
        const int64_t col0 = g * kGroupSize;
        const int64_t len = std::min<int64_t>(kGroupSize, in - col0);
        unpack_codes(w, k, r, col0, len, q);
        const GroupAffine a = group_affine(w, k, r, g);
        for (int64_t t = 0; t < n; ++t)
          acc[t] += a.step * (dot_codes(q, x + t * in + col0, len) - a.offset * group_sums[t * groups + g]);
      }
      for (int64_t t = 0; t < n; ++t) y[t * out + r] = acc[t];
    }
  });
}

// ---- Many tokens (prefill): decode a tile of rows to f32 once, reuse it for every token. ----

// acc[t][j] = sum_i x[t][i] * wt[i][j]: a broadcast-FMA micro-kernel over a transposed tile.
template <int T>
void tile_kernel(const float* wt, int64_t in, const float* x, float* y, int64_t out, int rows) {
  float acc[T][kTileRows] = {};
  for (int64_t i = 0; i < in; ++i) {
    const float* wi = wt + i * kTileRows;
    for (int t = 0; t < T; ++t) {
      const float xv = x[t * in + i];
      for (int j = 0; j < kTileRows; ++j) acc[t][j] += xv * wi[j];
    }
  }
  for (int t = 0; t < T; ++t)
    for (int j = 0; j < rows; ++j) y[t * out + j] = acc[t][j];
}

void run_tile(const float* wt, int64_t in, const float* x, int64_t n, float* y, int64_t out, int rows) {
  int64_t t = 0;
  for (; t + kTileTokens <= n; t += kTileTokens) tile_kernel<kTileTokens>(wt, in, x + t * in, y + t * out, out, rows);
  switch (n - t) {
    case 5: tile_kernel<5>(wt, in, x + t * in, y + t * out, out, rows); break;
    case 4: tile_kernel<4>(wt, in, x + t * in, y + t * out, out, rows); break;
    case 3: tile_kernel<3>(wt, in, x + t * in, y + t * out, out, rows); break;
    case 2: tile_kernel<2>(wt, in, x + t * in, y + t * out, out, rows); break;
    case 1: tile_kernel<1>(wt, in, x + t * in, y + t * out, out, rows); break;
    default: break;
  }
}

// decode_row(r, out_row) writes row r of W as f32.
template <typename DecodeRow>
void gemm_tiled(int64_t out, int64_t in, const float* x, int64_t n, float* y, ThreadPool& pool,
                MatmulWorkspace& workspace, const DecodeRow& decode_row) {
  const int64_t tiles = (out + kTileRows - 1) / kTileRows;
  pool.parallel_for(tiles, 1, [&](int64_t tile0, int64_t tile1, int worker) {
    float* row = workspace.worker(worker);  // [in]
    float* wt = row + in;                   // [in][kTileRows]
    for (int64_t tile = tile0; tile < tile1; ++tile) {
      const int64_t r0 = tile * kTileRows;
      const int rows = static_cast<int>(std::min<int64_t>(kTileRows, out - r0));
      for (int j = 0; j < kTileRows; ++j) {
        if (j < rows) {
          decode_row(r0 + j, row);
          for (int64_t i = 0; i < in; ++i) wt[i * kTileRows + j] = row[i];
        } else {
          for (int64_t i = 0; i < in; ++i) wt[i * kTileRows + j] = 0.0f;
        }
      }
      run_tile(wt, in, x, n, y + r0, out, rows);
    }
  });
}

}  // namespace

MatmulWorkspace::MatmulWorkspace(int n_workers, int64_t max_in)
    : buffers_(n_workers, std::vector<float>((kTileRows + 1) * max_in)),
      group_sums_(kTileTokens * n_groups(max_in)) {}

void matmul_dense(const DenseTensor& w, const float* x, int64_t n, float* y, ThreadPool& pool,
                  MatmulWorkspace& workspace) {
  if (n < kTileTokens) {
    switch (w.dtype) {
      case DType::kF32: return gemv_dense<DType::kF32>(w, x, n, y, pool);
      case DType::kF16: return gemv_dense<DType::kF16>(w, x, n, y, pool);
      case DType::kBF16: return gemv_dense<DType::kBF16>(w, x, n, y, pool);
    }
  }
  gemm_tiled(w.rows, w.cols, x, n, y, pool, workspace, [&](int64_t r, float* row) { read_row(w, r, row); });
}

void matmul(const LinearWeights& w, int slices, const float* x, int64_t n, float* y, ThreadPool& pool,
            MatmulWorkspace& workspace) {
  if (!w.is_sliced()) return matmul_dense(w.dense, x, n, y, pool, workspace);
  const SlicedTensor& s = w.sliced;
  const int k = std::clamp(slices, 1, s.n_planes);
  if (n < kTileTokens) {
    return gemv_sliced(s, k, x, n, y, pool, workspace.group_sums());
  }
  gemm_tiled(s.out, s.in, x, n, y, pool, workspace, [&](int64_t r, float* row) { dequantize_row(s, k, r, row); });
}

}  // namespace mobiq::cpu
