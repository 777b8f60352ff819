#include "backends/cpu/plane_pages.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace mobiq::cpu {
namespace {

// The whole pages inside `range` (a plane region's first and last page may be shared with its
// neighbours on systems whose pages are larger than the 16 KiB plane alignment).
std::span<const uint8_t> inner_pages(std::span<const uint8_t> range) {
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
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

}  // namespace

Status give_back_pages(std::span<const uint8_t> region) {
  const auto pages = inner_pages(region);
#ifdef MADV_PAGEOUT
  // Refused (EINVAL) by kernels older than 5.4; DONTNEED below still unmaps the pages.
  if (!pages.empty()) (void)::madvise(const_cast<uint8_t*>(pages.data()), pages.size(), MADV_PAGEOUT);
#endif
  return advise(pages, MADV_DONTNEED, "MADV_DONTNEED");
}

Status prefetch_pages(std::span<const uint8_t> region) {
  return advise(inner_pages(region), MADV_WILLNEED, "MADV_WILLNEED");
}

}  // namespace mobiq::cpu
