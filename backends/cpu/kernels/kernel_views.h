// The raw memory views every kernel set's function pointers take. Plain structs with no inline
// functions on purpose: this header is included by translation units compiled with ISA flags
// (-mavx2, +dotprod), and an inline function instantiated there could be picked by the linker for
// baseline code and fault on a CPU without that ISA.
//
// Column order inside a group. A plane row's group is 32 bytes; byte b holds the 2-bit codes of
// columns 4b + f (f = 0..3) in bits 2f..2f+1 (format/SLICE_LAYOUT.md). Kernels pull out "field" f
// of all 32 bytes at once, so the quantized input stores each group of 128 inputs de-interleaved:
// chunk f (32 bytes) holds x[4b + f] for b = 0..31. Byte b of a plane register then meets byte b of
// input chunk f, with no per-row shuffle. The dense q8 weights are stored in the same order.
#pragma once

#include <cstdint>

namespace mobiq::cpu {

inline constexpr int64_t kRowBlock = 8;        // rows interleaved per block: one f32 lane per row in AVX2
inline constexpr int64_t kGroupBytes = 32;     // bytes of one plane per row per group (128 codes)
inline constexpr int64_t kGroupInputs = 128;   // == kGroupSize of format/slice_layout.h

// A sliced linear repacked in blocks of kRowBlock rows (PackedSliced). For block b and group g:
//   plane p:  planes[p] + ((b * groups + g) * kRowBlock + r) * kGroupBytes  -> row r's 32 bytes
//   params:   params + (b * groups + g) * 2 * kRowBlock -> f16 scales[kRowBlock], then zeros[kRowBlock]
// Rows past `out` in the last block and columns past `in` in the last group have codes and
// scales 0. Plane bytes keep the file's 2-bit packing.
struct SlicedBlocksView {
  const uint8_t* planes[4];
  const uint16_t* params;
  int64_t out;
  int64_t groups;
};

// A dense matrix quantized to int8 per row and group of 128 (PackedDenseQ8). For block b, group g:
//   codes + ((b * groups + g) * kRowBlock + r) * kGroupInputs -> row r's 128 codes, de-interleaved
//   scales + (b * groups + g) * kRowBlock                     -> f32 scale of each row
struct DenseQ8View {
  const int8_t* codes;
  const float* scales;
  int64_t out;
  int64_t groups;
};

// Quantized activations (QuantizedInput): x[t][i] ~= scales[t][g] * codes, codes in [-127, 127].
//   codes  + (t * groups + g) * kGroupInputs -> 128 int8, de-interleaved, zero past `in`
//   scales + t * groups + g                  -> f32 step d
//   sums   + t * groups + g                  -> sum of the group's int8 codes (the zero-point term)
struct QuantizedView {
  const int8_t* codes;
  const float* scales;
  const int32_t* sums;
  int64_t tokens;
  int64_t groups;
};

// x [n][in] f32 -> codes/scales/sums laid out as in QuantizedView (groups = ceil(in / 128)).
using QuantizeFn = void (*)(const float* x, int64_t n, int64_t in, int8_t* codes, float* scales, int32_t* sums);
// y[t * y_stride + r] for every token t and every row r < w.out of blocks [block0, block1), with the
// first k planes (1 <= k <= 4, planes present).
using SlicedRowsFn = void (*)(const SlicedBlocksView& w, int k, const QuantizedView& x, int64_t block0,
                              int64_t block1, float* y, int64_t y_stride);
using DenseQ8RowsFn = void (*)(const DenseQ8View& w, const QuantizedView& x, int64_t block0, int64_t block1,
                               float* y, int64_t y_stride);

// The f32 steps between the matmuls, for sets that vectorize them (nullptr: the portable f32 math of
// runtime/math and backends/cpu/ops/attention run, which are also the oracle these are tested against).
//   attend: one query head q [head_dim] against keys and values 0..n_keys-1 (key j at k + j * kv_stride,
//           likewise v): out [head_dim] = softmax(scale * K q) V; scores: scratch [n_keys].
//   swiglu: gate[i] = silu(gate[i]) * up[i] for i < n.
//   argmax: the first index of the largest of x[0, n), n >= 1.
using AttendFn = void (*)(const float* q, const float* k, const float* v, int64_t kv_stride, int64_t n_keys,
                          int head_dim, float scale, float* scores, float* out);
using SwigluFn = void (*)(float* gate, const float* up, int64_t n);
using ArgmaxFn = int64_t (*)(const float* x, int64_t n);

// One ISA's kernels. Every set reads the same packed layouts, so a PackedSliced packed once serves
// every set (switching sets needs no repack).
struct KernelSet {
  const char* name;  // "scalar" (portable), "avx2", "avx512-vnni", "neon-i8mm", "neon-dotprod"
  QuantizeFn quantize;
  SlicedRowsFn sliced_rows;
  DenseQ8RowsFn dense_q8_rows;
  AttendFn attend = nullptr;
  SwigluFn swiglu = nullptr;
  ArgmaxFn argmax = nullptr;
};

}  // namespace mobiq::cpu
