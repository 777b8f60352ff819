#include "runtime/core/resident_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>

namespace mobiq {

uint64_t resident_bytes_of(std::span<const uint8_t> range) {
  if (range.empty()) return 0;
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
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

}  // namespace mobiq
