// Memory-elastic residency: keeps slice planes 0..k-1 of a .mbq model in memory and gives the pages of
// planes k.. back to the system. The file is plane-major with every plane region on a 16 KiB boundary
// (format/SLICE_LAYOUT.md), so a plane's pages are shared with no other plane.
//
// Giving back (planes >= k): madvise(MADV_PAGEOUT) reclaims the region's clean file pages out of the
// page cache, then madvise(MADV_DONTNEED) drops whatever mappings are left (PAGEOUT only reaches pages
// mapped here; on kernels before 5.4 it is refused and DONTNEED alone still empties this process's
// resident set). Nothing is copied: the mapping is read-only, so a later read faults the bytes back
// in from the file.
// Taking back (planes < k): madvise(MADV_WILLNEED) starts asynchronous read-ahead, so raising k costs
// no wait here; the first reads of a plane still fault its pages in.
//
// The engine must cap slice counts at resident() itself: reading a plane that was given back is
// correct, only slow (it is read from the file again).
#pragma once

#include <cstdint>
#include <span>

#include "runtime/core/status.h"
#include "runtime/model/model.h"

namespace mobiq {

// Bytes of [range) whose pages are in memory, counted with mincore over the whole pages inside it. For
// a file mapping, mincore reports the page cache when this process owns or may write the file, and
// otherwise only the pages mapped into this process.
uint64_t resident_bytes_of(std::span<const uint8_t> range);

class PlaneResidency {
 public:
  // All of the model's planes start resident (opening verifies every segment, touching every page).
  // `model` must outlive this object.
  explicit PlaneResidency(const Model& model);

  // Keeps planes 0..planes-1, gives back the rest. kInvalidArgument outside 1..model.max_slices(),
  // kUnsupported for a model without plane regions (an unquantized checkpoint), kIoError when the kernel
  // refuses madvise. Setting the current count again is a no-op.
  Status set_resident(int planes);
  int resident() const { return resident_; }

  // mincore over the plane regions: all of them, or plane p's (0 outside the model's planes).
  uint64_t resident_bytes() const;
  uint64_t plane_resident_bytes(int plane) const;
  // mincore over the whole mapped file (embeddings, norms, group parameters and planes).
  uint64_t mapping_resident_bytes() const;

 private:
  const Model& model_;
  int resident_ = 0;  // planes kept; model_.max_slices() at construction, 0 for a dense model
};

}  // namespace mobiq
