// Non-owning views of a model's weights, the one shape every loader produces (a .mbq file, an
// unquantized Hugging Face checkpoint) and every backend consumes. The memory behind the views is
// owned by whoever produced them (an mmap, a buffer) and must outlive them.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "format/slice_layout.h"

namespace mobiq {

// kQ8: 8-bit weights for large dense matrices (the embedding and the output head): per row and group
// of kGroupSize columns one f32 scale, w = code * scale. The bytes are [rows][n_groups(cols)] f32
// scales, then [rows][cols] int8 codes (scales first, so both stay naturally aligned).
enum class DType : uint8_t { kF32 = 0, kF16 = 1, kBF16 = 2, kQ8 = 3 };

// Bytes of one element of a float dtype (4 or 2); kQ8's layout is not per element: use dense_bytes.
inline int dtype_size(DType t) { return t == DType::kF32 ? 4 : t == DType::kQ8 ? 1 : 2; }

// Bytes of a [rows][cols] tensor of `t`.
inline int64_t dense_bytes(DType t, int64_t rows, int64_t cols) {
  if (t == DType::kQ8) return rows * n_groups(cols) * int64_t{4} + rows * cols;
  return rows * cols * dtype_size(t);
}

// A dense row-major matrix [rows][cols] (a vector has rows == 1).
struct DenseTensor {
  DType dtype = DType::kF32;
  const void* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  // kQ8 only: scales [rows][n_groups(cols)] and codes [rows][cols] inside `data`.
  const float* q8_scales() const { return static_cast<const float*>(data); }
  const int8_t* q8_codes() const {
    return reinterpret_cast<const int8_t*>(static_cast<const char*>(data) + rows * n_groups(cols) * 4);
  }
};

// A linear layer y = W x with W [out][in], stored as 2-bit slice planes (see format/slice_layout.h).
struct SlicedTensor {
  int64_t out = 0;                                  // rows of W
  int64_t in = 0;                                   // columns of W
  int32_t n_planes = 0;                             // planes present in memory (1..4)
  std::array<const uint8_t*, kMaxPlanes> planes{};  // plane p: [out][packed_row_bytes(in)]
  const uint16_t* scales = nullptr;                 // f16 [out][n_groups(in)], base-slice step s
  const uint16_t* zeros = nullptr;                  // f16 [out][n_groups(in)], base zero point z
};

// Either representation: exactly one of dense.data / sliced.planes[0] is set.
struct LinearWeights {
  DenseTensor dense;
  SlicedTensor sliced;
  bool is_sliced() const { return sliced.planes[0] != nullptr; }
  int64_t out() const { return is_sliced() ? sliced.out : dense.rows; }
  int64_t in() const { return is_sliced() ? sliced.in : dense.cols; }
};

// Linears that read the same input share one router and one slice count per token.
enum class LinearGroup : uint8_t { kQkv = 0, kO = 1, kGateUp = 2, kDown = 3 };
inline constexpr int kLinearGroups = 4;
inline constexpr int kResidualPlanes = kMaxPlanes - 1;

// A router: scores whether a token needs residual slices 1, 2, 3 of its group's linears. With
// u = x / rms(x) and e = log(mean(x^2)) (the token's input energy),
//   h = relu(w1 u + b1),  score = w2 [h; e] + b2.
// A token reads 1 + (the longest prefix of scores >= the layer's threshold) slices.
struct RouterWeights {
  int32_t in = 0;              // input width (the group's linears' `in`)
  int32_t hidden = 0;          // 0: no router
  const float* w1 = nullptr;   // [hidden][in]
  const float* b1 = nullptr;   // [hidden]
  const float* w2 = nullptr;   // [kResidualPlanes][hidden + 1]
  const float* b2 = nullptr;   // [kResidualPlanes]
  bool present() const { return hidden > 0; }
  int64_t parameters() const { return hidden > 0 ? int64_t{hidden} * (in + 1) + kResidualPlanes * (hidden + 2) : 0; }
};

struct LayerWeights {
  DenseTensor attn_norm;  // [hidden]
  DenseTensor ffn_norm;   // [hidden]
  LinearWeights q;        // [q_dim][hidden]
  LinearWeights k;        // [kv_dim][hidden]
  LinearWeights v;        // [kv_dim][hidden]
  LinearWeights o;        // [hidden][q_dim]
  LinearWeights gate;     // [intermediate][hidden]
  LinearWeights up;       // [intermediate][hidden]
  LinearWeights down;     // [hidden][intermediate]
  std::array<RouterWeights, kLinearGroups> routers;  // indexed by LinearGroup; absent without calibration
};

// How to meet one average budget (bits per sliced weight, routers counted): router thresholds
// per layer and group, or (thresholds empty) a fixed slice count per layer and group.
struct BudgetEntry {
  float bits = 0.0f;
  std::vector<float> thresholds;      // [n_layers * kLinearGroups]; empty: use fixed_slices
  std::vector<uint8_t> fixed_slices;  // [n_layers * kLinearGroups], each 1..4
  float calibration_bits = 0.0f;      // what the plan averaged on the calibration text
};

struct ModelWeights {
  DenseTensor token_embedding;  // [vocab][hidden]
  DenseTensor final_norm;       // [hidden]
  DenseTensor output;           // [vocab][hidden]; same memory as token_embedding when tied
  std::vector<LayerWeights> layers;
  std::vector<BudgetEntry> budget_table;  // ascending bits; empty without calibration
};

}  // namespace mobiq
