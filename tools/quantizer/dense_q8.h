// 8-bit storage for the large dense matrices (the embedding and the output head), the DType::kQ8 layout
// of format/model_weights.h: per row and group of 128 columns, scale = max|w| / 127 and codes
// round(w / scale) in [-127, 127]. The head is read for every token, so this halves a bf16 head's bytes.
#pragma once

#include <cstdint>
#include <vector>

#include "format/model_weights.h"

namespace mobiq {

// The bytes of `w` (f32, f16 or bf16 [rows][cols]) as a kQ8 tensor: dense_bytes(kQ8, rows, cols).
std::vector<uint8_t> quantize_dense_q8(const DenseTensor& w);

}  // namespace mobiq
