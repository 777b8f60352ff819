// How much of an address range is in memory (mincore), for residency reports and tests.
#pragma once

#include <cstdint>
#include <span>

namespace mobiq {

// Bytes of [range) whose pages are in memory, counted with mincore over the pages it touches. For a
// file mapping, mincore reports the page cache when this process owns or may write the file, and
// otherwise only the pages mapped into this process. 0 for an empty range.
uint64_t resident_bytes_of(std::span<const uint8_t> range);

}  // namespace mobiq
