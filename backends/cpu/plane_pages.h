// Plane residency on the CPU: the slice planes are read in place from the read-only file mapping,
// plane-major with every plane region on a 16 KiB boundary (format/SLICE_LAYOUT.md), so a plane's
// pages are shared with no other plane and can be given back to the system on their own.
//
// Giving back: madvise(MADV_PAGEOUT) reclaims the region's clean file pages out of the page cache,
// then madvise(MADV_DONTNEED) drops whatever mappings are left (PAGEOUT only reaches pages mapped
// here; kernels before 5.4 refuse it and DONTNEED alone still empties this process's resident set).
// Nothing is copied: a later read faults the bytes back in from the file.
// Taking back: madvise(MADV_WILLNEED) starts asynchronous read-ahead, so raising the count costs no
// wait here; the first reads of a plane still fault its pages in.
#pragma once

#include <cstdint>
#include <span>

#include "runtime/core/status.h"

namespace mobiq::cpu {

Status give_back_pages(std::span<const uint8_t> region);
Status prefetch_pages(std::span<const uint8_t> region);

}  // namespace mobiq::cpu
