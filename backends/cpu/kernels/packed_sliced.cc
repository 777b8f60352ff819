#include "backends/cpu/kernels/packed_sliced.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "format/slice_layout.h"

namespace mobiq::cpu {

namespace {
constexpr int64_t kMaxDim = int64_t{1} << 31;  // keeps every byte offset far inside int64
}

Result<PackedSliced> PackedSliced::pack(const SlicedTensor& w) {
  const std::string shape = std::to_string(w.out) + "x" + std::to_string(w.in);
  if (w.out < 1 || w.in < 1 || w.out >= kMaxDim || w.in >= kMaxDim)
    return invalid_argument("packing a sliced linear: bad shape " + shape);
  if (w.n_planes < 1 || w.n_planes > kMaxPlanes)
    return invalid_argument("packing a sliced linear " + shape + ": " + std::to_string(w.n_planes) + " planes");
  for (int p = 0; p < w.n_planes; ++p)
    if (w.planes[p] == nullptr) return invalid_argument("packing a sliced linear " + shape + ": plane " + std::to_string(p) + " missing");
  if (w.scales == nullptr || w.zeros == nullptr)
    return invalid_argument("packing a sliced linear " + shape + ": scales or zeros missing");

  PackedSliced packed;
  const int64_t groups = n_groups(w.in), blocks = (w.out + kRowBlock - 1) / kRowBlock;
  const int64_t row_bytes = packed_row_bytes(w.in);
  const std::string what = "packing " + shape;
  for (int p = 0; p < w.n_planes; ++p) {
    MOBIQ_ASSIGN_OR_RETURN(packed.planes_[p], AlignedBuffer::allocate(blocks * groups * kRowBlock * kGroupBytes, what.c_str()));
    uint8_t* dst = packed.planes_[p].data();
    for (int64_t r = 0; r < w.out; ++r) {
      const uint8_t* src = w.planes[p] + r * row_bytes;
      for (int64_t g = 0; g < groups; ++g) {
        // The last group of a row may be short; the buffer is zeroed, so its padding codes are 0.
        const int64_t n = std::min(kGroupBytes, row_bytes - g * kGroupBytes);
        std::memcpy(dst + (((r / kRowBlock) * groups + g) * kRowBlock + r % kRowBlock) * kGroupBytes,
                    src + g * kGroupBytes, n);
      }
    }
  }
  MOBIQ_ASSIGN_OR_RETURN(packed.params_, AlignedBuffer::allocate(blocks * groups * 2 * kRowBlock * sizeof(uint16_t), what.c_str()));
  auto* params = reinterpret_cast<uint16_t*>(packed.params_.data());
  for (int64_t r = 0; r < w.out; ++r)
    for (int64_t g = 0; g < groups; ++g) {
      uint16_t* at = params + ((r / kRowBlock) * groups + g) * 2 * kRowBlock + r % kRowBlock;
      at[0] = w.scales[r * groups + g];
      at[kRowBlock] = w.zeros[r * groups + g];
    }
  for (int p = 0; p < kMaxPlanes; ++p) packed.view_.planes[p] = packed.planes_[p].data();
  packed.view_.params = params;
  packed.view_.out = w.out;
  packed.view_.groups = groups;
  packed.in_ = w.in;
  packed.n_planes_ = w.n_planes;
  return packed;
}

int64_t PackedSliced::bytes_read(int k) const {
  const int64_t rows = (out() + kRowBlock - 1) / kRowBlock * kRowBlock;
  return rows * groups() * (k * kGroupBytes + 2 * int64_t{sizeof(uint16_t)});
}

}  // namespace mobiq::cpu
