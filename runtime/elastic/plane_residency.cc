#include "runtime/elastic/plane_residency.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string>

namespace mobiq {
namespace {

uintptr_t page_size() {
  static const uintptr_t size = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

// The whole pages inside `range` (a plane region's first and last page may be shared with its
// neighbours on systems whose pages are larger than the 16 KiB plane alignment).
std::span<const uint8_t> inner_pages(std::span<const uint8_t> range) {
  const uintptr_t page = page_size();
  const auto begin = reinterpret_cast<uintptr_t>(range.data());
  const uintptr_t first = (begin + page - 1) / page * page;
  const uintptr_t last = (begin + range.size()) / page * page;
  if (range.empty() || last <= first) return {};
  return {reinterpret_cast<const uint8_t*>(first), static_cast<size_t>(last - first)};
}

Status advise(std::span<const uint8_t> range, int advice, const char* name) {
  if (range.empty()) return Status::Ok();
  if (::madvise(const_cast<uint8_t*>(range.data()), range.size(), advice) == 0) return Status::Ok();
  return io_error(std::string("madvise(") + name + ") of " + std::to_string(range.size()) +
                  " bytes: " + std::strerror(errno));
}

Status give_back(std::span<const uint8_t> region) {
  const auto pages = inner_pages(region);
#ifdef MADV_PAGEOUT
  // Refused (EINVAL) by kernels older than 5.4; DONTNEED below still unmaps the pages.
  (void)::madvise(const_cast<uint8_t*>(pages.data()), pages.size(), MADV_PAGEOUT);
#endif
  return advise(pages, MADV_DONTNEED, "MADV_DONTNEED");
}

}  // namespace

uint64_t resident_bytes_of(std::span<const uint8_t> range) {
  if (range.empty()) return 0;
  const uintptr_t page = page_size();
  const auto begin = reinterpret_cast<uintptr_t>(range.data());
  const uintptr_t end = begin + range.size();
  std::array<unsigned char, 4096> vector;  // one byte per page, a chunk at a time: nothing allocated
  uint64_t bytes = 0;
  for (uintptr_t chunk = begin / page * page; chunk < end; chunk += vector.size() * page) {
    const uintptr_t chunk_end = std::min(end, chunk + vector.size() * page);
    const size_t pages = (chunk_end - chunk + page - 1) / page;
    if (::mincore(reinterpret_cast<void*>(chunk), chunk_end - chunk, vector.data()) != 0) return bytes;
    for (size_t i = 0; i < pages; ++i) {
      if ((vector[i] & 1) == 0) continue;
      const uintptr_t page_begin = std::max(begin, chunk + i * page);
      const uintptr_t page_end = std::min(end, chunk + (i + 1) * page);
      bytes += page_end - page_begin;
    }
  }
  return bytes;
}

PlaneResidency::PlaneResidency(const Model& model)
    : model_(model), resident_(model.plane_regions()[0].empty() ? 0 : model.max_slices()) {}

Status PlaneResidency::set_resident(int planes) {
  if (resident_ == 0) return unsupported("the model has no slice planes to keep or give back");
  if (planes < 1 || planes > model_.max_slices())
    return invalid_argument("resident planes " + std::to_string(planes) + " is outside 1.." +
                            std::to_string(model_.max_slices()));
  if (planes == resident_) return Status::Ok();
  const auto& regions = model_.plane_regions();
  if (planes < resident_) {
    for (int p = planes; p < kMaxPlanes; ++p) MOBIQ_RETURN_IF_ERROR(give_back(regions[p]));
  } else {
    for (int p = resident_; p < planes; ++p)
      MOBIQ_RETURN_IF_ERROR(advise(inner_pages(regions[p]), MADV_WILLNEED, "MADV_WILLNEED"));
  }
  resident_ = planes;
  return Status::Ok();
}

uint64_t PlaneResidency::resident_bytes() const {
  uint64_t bytes = 0;
  for (const auto& region : model_.plane_regions()) bytes += resident_bytes_of(region);
  return bytes;
}

uint64_t PlaneResidency::plane_resident_bytes(int plane) const {
  if (plane < 0 || plane >= kMaxPlanes) return 0;
  return resident_bytes_of(model_.plane_regions()[plane]);
}

uint64_t PlaneResidency::mapping_resident_bytes() const { return resident_bytes_of(model_.mapped_file()); }

}  // namespace mobiq
