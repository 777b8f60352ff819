#include "backends/cpu/kernels/aligned_buffer.h"

#include <cstring>
#include <string>

namespace mobiq::cpu {

Result<AlignedBuffer> AlignedBuffer::allocate(size_t bytes, const char* what) {
  constexpr size_t kAlign = 64;  // a cache line; also every SIMD load width
  AlignedBuffer b;
  if (bytes == 0) return b;
  const size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;  // aligned_alloc wants a multiple
  if (rounded < bytes) return Status(ErrorCode::kOutOfMemory, std::string(what) + ": size overflows");
  auto* p = static_cast<uint8_t*>(std::aligned_alloc(kAlign, rounded));
  if (p == nullptr)
    return Status(ErrorCode::kOutOfMemory, std::string(what) + ": cannot allocate " + std::to_string(rounded) + " bytes");
  std::memset(p, 0, rounded);
  b.data_.reset(p);
  b.size_ = bytes;
  return b;
}

}  // namespace mobiq::cpu
