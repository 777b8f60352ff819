// Loads from bytes read in place from a file (mmapped weights). A format may put data at any byte
// offset (safetensors only recommends padding its header), and reading through a misaligned
// uint16_t* or float* is undefined behaviour that strict-alignment CPUs punish with a fault. memcpy
// into a local compiles to one plain load where the CPU allows unaligned access, and vectorizes.
#pragma once

#include <cstdint>
#include <cstring>

namespace mobiq {

// Element `index` of an array of T that starts at `base`, whatever base's alignment.
template <typename T>
inline T load_unaligned(const void* base, int64_t index) {
  T value;
  std::memcpy(&value, static_cast<const char*>(base) + index * static_cast<int64_t>(sizeof(T)), sizeof(T));
  return value;
}

}  // namespace mobiq
