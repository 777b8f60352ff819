// Owned, zero-filled, 64-byte aligned memory whose allocation failure is a Status, not an exception.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "runtime/core/result.h"

namespace mobiq::cpu {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  // `what` names the buffer in the error ("packing 11008x4096: plane 2").
  static Result<AlignedBuffer> allocate(size_t bytes, const char* what);

  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t size_ = 0;
};

}  // namespace mobiq::cpu
