#include "backends/cpu/kernels/packed_sliced.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "format/slice_layout.h"

namespace mobiq::cpu {

namespace {

constexpr int64_t kMaxDim = int64_t{1} << 31;  // keeps every byte offset far inside int64

// Plane p of `w` in row blocks: [blocks][groups][kRowBlock][kGroupBytes].
Result<AlignedBuffer> pack_plane(const SlicedTensor& w, int p) {
  const int64_t groups = n_groups(w.in), blocks = (w.out + kRowBlock - 1) / kRowBlock;
  const int64_t row_bytes = packed_row_bytes(w.in);
  const std::string what = "packing " + std::to_string(w.out) + "x" + std::to_string(w.in) + ": plane " + std::to_string(p);
  MOBIQ_ASSIGN_OR_RETURN(AlignedBuffer plane, AlignedBuffer::allocate(blocks * groups * kRowBlock * kGroupBytes, what.c_str()));
  uint8_t* dst = plane.data();
  for (int64_t r = 0; r < w.out; ++r) {
    const uint8_t* src = w.planes[p] + r * row_bytes;
    for (int64_t g = 0; g < groups; ++g) {
      // The last group of a row may be short; the buffer is zeroed, so its padding codes are 0.
      const int64_t n = std::min(kGroupBytes, row_bytes - g * kGroupBytes);
      std::memcpy(dst + (((r / kRowBlock) * groups + g) * kRowBlock + r % kRowBlock) * kGroupBytes,
                  src + g * kGroupBytes, n);
    }
  }
  return plane;
}

}  // namespace

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
  const std::string what = "packing " + shape;
  for (int p = 0; p < w.n_planes; ++p) {
    MOBIQ_ASSIGN_OR_RETURN(packed.planes_[p], pack_plane(w, p));
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
  packed.resident_ = w.n_planes;
  return packed;
}

void PackedSliced::release_planes_from(int k) {
  for (int p = std::max(k, 0); p < resident_; ++p) {
    planes_[p] = AlignedBuffer();
    view_.planes[p] = nullptr;
  }
  resident_ = std::clamp(k, 0, resident_);
}

Status PackedSliced::restore_planes(const SlicedTensor& w, int k) {
  if (w.out != out() || w.in != in_ || k > w.n_planes || k > n_planes_)
    return invalid_argument("restoring planes: not the tensor this linear was packed from");
  for (int p = resident_; p < k; ++p) {
    MOBIQ_ASSIGN_OR_RETURN(AlignedBuffer plane, pack_plane(w, p));
    planes_[p] = std::move(plane);
    view_.planes[p] = planes_[p].data();
    resident_ = p + 1;
  }
  return Status::Ok();
}

int64_t PackedSliced::bytes_read(int k) const {
  const int64_t rows = (out() + kRowBlock - 1) / kRowBlock * kRowBlock;
  return rows * groups() * (k * kGroupBytes + 2 * int64_t{sizeof(uint16_t)});
}

}  // namespace mobiq::cpu
