#include "backends/cpu/kernels/packed_dense_q8.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "format/slice_layout.h"
#include "runtime/core/half.h"

namespace mobiq::cpu {

namespace {

constexpr int64_t kMaxDim = int64_t{1} << 31;

void read_row(const DenseTensor& w, int64_t r, float* row) {
  const int64_t n = w.cols;
  switch (w.dtype) {
    case DType::kF32: std::copy_n(static_cast<const float*>(w.data) + r * n, n, row); break;
    case DType::kF16:
      for (int64_t i = 0; i < n; ++i) row[i] = f16_to_f32(static_cast<const uint16_t*>(w.data)[r * n + i]);
      break;
    case DType::kBF16:
      for (int64_t i = 0; i < n; ++i) row[i] = bf16_to_f32(static_cast<const uint16_t*>(w.data)[r * n + i]);
      break;
    case DType::kQ8:  // re-quantizing code * scale gives the same codes: the group's max is 127 * scale
      for (int64_t i = 0; i < n; ++i) row[i] = w.q8_codes()[r * n + i] * w.q8_scales()[r * n_groups(n) + i / kGroupSize];
      break;
  }
}

}  // namespace

Result<PackedDenseQ8> PackedDenseQ8::pack(const DenseTensor& w) {
  const std::string shape = std::to_string(w.rows) + "x" + std::to_string(w.cols);
  if (w.rows < 1 || w.cols < 1 || w.rows >= kMaxDim || w.cols >= kMaxDim || w.data == nullptr)
    return invalid_argument("packing a dense q8 matrix: bad shape or no data " + shape);
  PackedDenseQ8 packed;
  const int64_t groups = n_groups(w.cols), blocks = (w.rows + kRowBlock - 1) / kRowBlock;
  const std::string what = "packing q8 " + shape;
  MOBIQ_ASSIGN_OR_RETURN(packed.codes_, AlignedBuffer::allocate(blocks * groups * kRowBlock * kGroupInputs, what.c_str()));
  MOBIQ_ASSIGN_OR_RETURN(packed.scales_, AlignedBuffer::allocate(blocks * groups * kRowBlock * sizeof(float), what.c_str()));
  auto* codes = reinterpret_cast<int8_t*>(packed.codes_.data());
  auto* scales = reinterpret_cast<float*>(packed.scales_.data());
  std::vector<float> row(groups * kGroupInputs, 0.0f);  // zero past cols
  for (int64_t r = 0; r < w.rows; ++r) {
    read_row(w, r, row.data());
    for (int64_t g = 0; g < groups; ++g) {
      const float* x = row.data() + g * kGroupInputs;
      float amax = 0.0f;
      for (int64_t i = 0; i < kGroupInputs; ++i) amax = std::max(amax, std::fabs(x[i]));
      const int64_t at = ((r / kRowBlock) * groups + g) * kRowBlock + r % kRowBlock;
      scales[at] = amax / 127.0f;
      const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
      int8_t* dst = codes + at * kGroupInputs;
      for (int64_t i = 0; i < kGroupInputs; ++i)  // column 4b + f goes to chunk f, byte b
        dst[(i % 4) * kGroupBytes + i / 4] = static_cast<int8_t>(std::clamp(std::lrint(x[i] * inv), -127L, 127L));
    }
  }
  packed.view_ = {codes, scales, w.rows, groups};
  packed.in_ = w.cols;
  return packed;
}

int64_t PackedDenseQ8::bytes_read() const {
  const int64_t rows = (out() + kRowBlock - 1) / kRowBlock * kRowBlock;
  return rows * view_.groups * (kGroupInputs + int64_t{sizeof(float)});
}

}  // namespace mobiq::cpu
