// A dense matrix W [out][in] (the output head) quantized once at load to int8 per row and group of
// 128 inputs with a f32 scale (scale = max|w| / 127, codes in [-127, 127]), rows interleaved in
// blocks of kRowBlock like PackedSliced, columns of a group in the quantized input's de-interleaved
// order so dense_q8_matmul_rows reads the same QuantizedInput as the sliced linears. About 1.03
// bytes per weight: a quarter of f32, half of f16.
#pragma once

#include <cstdint>

#include "backends/cpu/kernels/aligned_buffer.h"
#include "backends/cpu/kernels/kernel_views.h"
#include "format/model_weights.h"
#include "runtime/core/result.h"

namespace mobiq::cpu {

class PackedDenseQ8 {
 public:
  // w: f32, f16, bf16 or q8 rows (q8 keeps its codes). Errors: empty or oversized shape, null data, out of memory.
  static Result<PackedDenseQ8> pack(const DenseTensor& w);

  int64_t out() const { return view_.out; }
  int64_t in() const { return in_; }
  static constexpr int64_t row_block() { return kRowBlock; }
  int64_t bytes_read() const;  // codes and scales of one full pass
  const DenseQ8View& view() const { return view_; }

 private:
  AlignedBuffer codes_, scales_;
  DenseQ8View view_{};
  int64_t in_ = 0;
};

}  // namespace mobiq::cpu
