// Reading dense tensors of any stored dtype as f32.
#pragma once

#include <cstdint>

#include "format/model_weights.h"
#include "runtime/core/half.h"
#include "runtime/core/unaligned.h"

namespace mobiq::math {

// Element i of a dense tensor's flat storage. The storage may sit at any byte offset of the file
// (see runtime/core/unaligned.h), hence the unaligned loads.
inline float read_element(const DenseTensor& t, int64_t i) {
  switch (t.dtype) {
    case DType::kF32: return load_unaligned<float>(t.data, i);
    case DType::kF16: return f16_to_f32(load_unaligned<uint16_t>(t.data, i));
    case DType::kBF16: return bf16_to_f32(load_unaligned<uint16_t>(t.data, i));
    case DType::kQ8: return t.q8_codes()[i] * t.q8_scales()[(i / t.cols) * n_groups(t.cols) + (i % t.cols) / kGroupSize];
  }
  return 0.0f;
}

// Row r of a dense matrix, converted to f32: out[cols]. Any alignment of t.data.
void read_row(const DenseTensor& t, int64_t r, float* out);

}  // namespace mobiq::math
