// One device allocation (cudaMalloc), freed when the buffer goes. Move-only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/core/result.h"

namespace mobiq::cuda {

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  // `bytes` of device memory, zeroed. An empty buffer for 0 bytes.
  static Result<DeviceBuffer> allocate(size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  // Copies `bytes` from host memory to offset `offset` (synchronous).
  Status upload(const void* host, size_t bytes, size_t offset = 0);
  // Copies `bytes` from offset 0 to host memory (synchronous).
  Status download(void* host, size_t bytes) const;
  void reset();

  void* data() const { return data_; }
  template <typename T>
  T* as() const { return static_cast<T*>(data_); }
  size_t size() const { return size_; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace mobiq::cuda
