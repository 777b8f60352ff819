#include "runtime/math/matmul.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "format/slice_layout.h"
#include "runtime/core/half.h"
#include "runtime/core/unaligned.h"
#include "runtime/math/slice_codes.h"
#include "runtime/math/tensor_read.h"
#include "runtime/math/vector_math.h"

namespace mobiq::math {
namespace {

constexpr int kTileRows = 16;    // output rows per tile of the batched path (one or two SIMD registers)
constexpr int kTileTokens = 6;   // tokens per micro-kernel call: 6 x 16 accumulators fit AVX2's registers
constexpr int kRowsPerChunk = 32;

// ---- One or a few tokens (decode): dot products along rows, no weight copy. ----

template <DType kType>
float dot_dense_row(const void* row, const float* x, int64_t n) {
  // `row` points into the mapped file, where safetensors data may sit at an odd offset: unaligned loads.
  using Stored = std::conditional_t<kType == DType::kF32, float, uint16_t>;
  auto widen = [row](int64_t i) -> float {
    const Stored v = load_unaligned<Stored>(row, i);
    if constexpr (kType == DType::kF32) return v;
    else if constexpr (kType == DType::kBF16) return bf16_to_f32(v);
    else return f16_to_f32(v);
  };
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += widen(i + l) * x[i + l];
  float s = 0.0f;
  for (; i < n; ++i) s += widen(i) * x[i];
  for (int l = 0; l < kLanes; ++l) s += acc[l];
  return s;
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

// An 8-bit matrix: per row and group, scale * dot(codes, x).
void gemv_dense_q8(const DenseTensor& w, const float* x, int64_t n, float* y, ThreadPool& pool) {
  const int64_t in = w.cols, out = w.rows, groups = n_groups(in);
  pool.parallel_for(out, kRowsPerChunk, [&](int64_t r0, int64_t r1, int) {
    for (int64_t r = r0; r < r1; ++r) {
      const int8_t* codes = w.q8_codes() + r * in;
      const float* scales = w.q8_scales() + r * groups;
      for (int64_t t = 0; t < n; ++t) {
        float s = 0.0f;
        for (int64_t g = 0; g < groups; ++g) {
          const int64_t begin = g * kGroupSize, end = std::min(in, begin + kGroupSize);
          float d = 0.0f;
          for (int64_t i = begin; i < end; ++i) d += codes[i] * x[t * in + i];
          s += scales[g] * d;
        }
        y[t * out + r] = s;
      }
    }
  });
}

// dot(c, x) over one group of one plane, straight from the packed bytes: xd holds the group's
// inputs de-interleaved by position in the byte, xd[i][b] = x[4b + i] ([4][kGroupSize / 4]), so
// the loop over bytes vectorizes for each of the four 2-bit fields.
float dot_packed_group(const uint8_t* bytes, const float* xd, int64_t n_bytes) {
  constexpr int64_t kBytes = kGroupSize / 4;
  if (n_bytes == kBytes) {
    Float8 acc = {};
    for (int64_t b = 0; b < kBytes; b += 8) {
      Byte8 packed;
      std::memcpy(&packed, bytes + b, sizeof packed);
      const Int8 wide = __builtin_convertvector(packed, Int8);  // shifts on 32-bit lanes are cheap
      for (int i = 0; i < 4; ++i) {
        const Int8 codes = (wide >> (2 * i)) & 3;
        Float8 x;
        std::memcpy(&x, xd + i * kBytes + b, sizeof x);
        acc += __builtin_convertvector(codes, Float8) * x;
      }
    }
    return horizontal_sum(acc);
  }
  float s = 0.0f;
  for (int i = 0; i < 4; ++i)
    for (int64_t b = 0; b < n_bytes; ++b) s += static_cast<float>((bytes[b] >> (2 * i)) & 3) * xd[i * kBytes + b];
  return s;
}

// For each token: sum(x_g) and x_g de-interleaved (zero-padded past `in`), once per call since
// every row reuses them. deinterleaved: [n][groups][4][kGroupSize / 4]; sums: [n][groups].
void prepare_inputs(const float* x, int64_t n, int64_t in, float* deinterleaved, float* sums) {
  const int64_t groups = n_groups(in);
  constexpr int64_t kBytes = kGroupSize / 4;
  for (int64_t t = 0; t < n; ++t)
    for (int64_t g = 0; g < groups; ++g) {
      const float* xg = x + t * in + g * kGroupSize;
      const int64_t len = std::min<int64_t>(kGroupSize, in - g * kGroupSize);
      float* xd = deinterleaved + (t * groups + g) * kGroupSize;
      for (int64_t j = 0; j < kGroupSize; ++j) xd[(j % 4) * kBytes + j / 4] = j < len ? xg[j] : 0.0f;
      sums[t * groups + g] = sum(xg, len);
    }
}

// y_r = sum_g s_g * ( sum_{p<k} 4^-p dot(c_p, x_g) - (z_g + 1.5 sum_{1<=p<k} 4^-p) sum(x_g) ):
// plane p is read only when k > p, so bytes moved grow with the slice count.
void gemv_sliced(const SlicedTensor& w, int k, const float* x, int64_t n, float* y, ThreadPool& pool,
                 MatmulWorkspace& workspace) {
  const int64_t in = w.in, out = w.out, groups = n_groups(in), row_bytes = packed_row_bytes(in);
  float* deinterleaved = workspace.deinterleaved();
  float* sums = workspace.group_sums();
  prepare_inputs(x, n, in, deinterleaved, sums);
  float residual_zero = 0.0f;  // 1.5 * sum_{1<=p<k} 4^-p
  for (int p = 1; p < k; ++p) residual_zero += kResidualZero * plane_weight(p);
  pool.parallel_for(out, kRowsPerChunk, [&](int64_t r0, int64_t r1, int) {
    for (int64_t r = r0; r < r1; ++r) {
      float acc[kTileTokens] = {};
      for (int64_t g = 0; g < groups; ++g) {
        const int64_t first_byte = r * row_bytes + g * (kGroupSize / 4);
        const int64_t n_bytes = std::min<int64_t>(kGroupSize / 4, row_bytes - g * (kGroupSize / 4));
        const float s = f16_to_f32(w.scales[r * groups + g]);
        const float zero = f16_to_f32(w.zeros[r * groups + g]) + residual_zero;
        for (int64_t t = 0; t < n; ++t) {
          const float* xd = deinterleaved + (t * groups + g) * kGroupSize;
          float d = 0.0f;
          for (int p = 0; p < k; ++p) d += plane_weight(p) * dot_packed_group(w.planes[p] + first_byte, xd, n_bytes);
          acc[t] += s * (d - zero * sums[t * groups + g]);
        }
      }
      for (int64_t t = 0; t < n; ++t) y[t * out + r] = acc[t];
    }
  });
}

// ---- Many tokens (prefill): decode a tile of rows to f32 once, reuse it for every token. ----

static_assert(kTileRows == 16, "the micro-kernel holds a tile row in two Float8");

// acc[t][j] = sum_i x[t][i] * wt[i][j]: a broadcast-FMA micro-kernel over a transposed tile.
template <int T>
void tile_kernel(const float* wt, int64_t in, const float* x, float* y, int64_t out, int rows) {
  Float8 acc[T][2] = {};
  for (int64_t i = 0; i < in; ++i) {
    Float8 w0, w1;
    std::memcpy(&w0, wt + i * kTileRows, sizeof w0);
    std::memcpy(&w1, wt + i * kTileRows + 8, sizeof w1);
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      const float xv = x[t * in + i];
      acc[t][0] += xv * w0;
      acc[t][1] += xv * w1;
    }
  }
  for (int t = 0; t < T; ++t) {
    float row[kTileRows];
    std::memcpy(row, &acc[t][0], sizeof acc[t][0]);
    std::memcpy(row + 8, &acc[t][1], sizeof acc[t][1]);
    for (int j = 0; j < rows; ++j) y[t * out + j] = row[j];
  }
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
    : max_in_(max_in),
      buffers_(n_workers, std::vector<float>((kTileRows + 1) * max_in)),
      group_sums_(kTileTokens * n_groups(max_in)),
      deinterleaved_(kTileTokens * n_groups(max_in) * kGroupSize) {}

void matmul_dense(const DenseTensor& w, const float* x, int64_t n, float* y, ThreadPool& pool,
                  MatmulWorkspace& workspace) {
  if (n < kTileTokens) {
    switch (w.dtype) {
      case DType::kF32: return gemv_dense<DType::kF32>(w, x, n, y, pool);
      case DType::kF16: return gemv_dense<DType::kF16>(w, x, n, y, pool);
      case DType::kBF16: return gemv_dense<DType::kBF16>(w, x, n, y, pool);
      case DType::kQ8: return gemv_dense_q8(w, x, n, y, pool);
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
    return gemv_sliced(s, k, x, n, y, pool, workspace);
  }
  gemm_tiled(s.out, s.in, x, n, y, pool, workspace, [&](int64_t r, float* row) { dequantize_row(s, k, r, row); });
}

}  // namespace mobiq::math
