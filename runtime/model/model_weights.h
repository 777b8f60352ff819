// Non-owning views of a model's weights, the one shape every loader produces (a .mbq file, an
// unquantized Hugging Face checkpoint) and every backend consumes. The memory behind the views is
// owned by whoever produced them (an mmap, a buffer) and must outlive them.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "format/slice_layout.h"

namespace mobiq {

enum class DType : uint8_t { kF32 = 0, kF16 = 1, kBF16 = 2 };

inline int dtype_size(DType t) { return t == DType::kF32 ? 4 : 2; }

// A dense row-major matrix [rows][cols] (a vector has rows == 1).
struct DenseTensor {
  DType dtype = DType::kF32;
  const void* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
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
};

struct ModelWeights {
  DenseTensor token_embedding;  // [vocab][hidden]
  DenseTensor final_norm;       // [hidden]
  DenseTensor output;           // [vocab][hidden]; same memory as token_embedding when tied
  std::vector<LayerWeights> layers;
};

}  // namespace mobiq
