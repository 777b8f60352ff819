// A sliced linear W [out][in] repacked once at load for the kernels: rows interleaved in blocks of
// kRowBlock (8) so a kernel streams each plane sequentially and finishes 8 rows per group with one
// vector epilogue; the f16 scales and zeros of a block's group sit together (32 bytes). Each plane is
// its own allocation, so a pass with k planes touches only planes 0..k-1. Scales and zeros stay f16
// (exact, what the file holds): at k = 1 they are 4 of every 36 bytes read, against 8 of 40 as f32;
// F16C / NEON fcvtl widen 8 of them in one instruction. Layout: kernel_views.h.
#pragma once

#include <array>
#include <cstdint>

#include "backends/cpu/kernels/aligned_buffer.h"
#include "backends/cpu/kernels/kernel_views.h"
#include "format/model_weights.h"
#include "runtime/core/result.h"

namespace mobiq::cpu {

class PackedSliced {
 public:
  // Copies planes 0..w.n_planes-1 (the others are never read). Errors: empty or oversized shape,
  // n_planes outside 1..4, a missing plane / scales / zeros pointer, out of memory.
  static Result<PackedSliced> pack(const SlicedTensor& w);

  int64_t out() const { return view_.out; }
  int64_t in() const { return in_; }
  int64_t groups() const { return view_.groups; }
  int planes() const { return n_planes_; }
  // Row ranges handed to sliced_matmul_rows start at a multiple of this (and end at one, or at out()).
  static constexpr int64_t row_block() { return kRowBlock; }
  // Plane residency: planes k.. give their memory back (a pass may then read at most k planes);
  // restore_planes packs planes up to k again from `w`, the same tensor pack() was given.
  void release_planes_from(int k);
  Status restore_planes(const SlicedTensor& w, int k);
  int resident_planes() const { return resident_; }
  int64_t plane_bytes() const { return planes_[0].size(); }  // bytes of one packed plane

  // Bytes one full pass with k planes reads: k planes plus the f16 scales and zeros.
  int64_t bytes_read(int k) const;
  const SlicedBlocksView& view() const { return view_; }

 private:
  std::array<AlignedBuffer, 4> planes_;
  AlignedBuffer params_;
  SlicedBlocksView view_{};
  int64_t in_ = 0;
  int n_planes_ = 0;
  int resident_ = 0;  // planes 0..resident_-1 hold their codes
};

}  // namespace mobiq::cpu
