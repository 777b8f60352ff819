#include "backends/cuda/cuda_buffer.h"

#include <utility>

#include "backends/cuda/cuda_status.h"

namespace mobiq::cuda {

Result<DeviceBuffer> DeviceBuffer::allocate(size_t bytes) {
  DeviceBuffer buffer;
  if (bytes == 0) return buffer;
  MOBIQ_CUDA_RETURN_IF_ERROR(cudaMalloc(&buffer.data_, bytes));
  buffer.size_ = bytes;
  MOBIQ_CUDA_RETURN_IF_ERROR(cudaMemset(buffer.data_, 0, bytes));
  return buffer;
}

DeviceBuffer::~DeviceBuffer() { reset(); }

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    reset();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void DeviceBuffer::reset() {
  if (data_ != nullptr) cudaFree(data_);  // a failure here leaves nothing to recover
  data_ = nullptr;
  size_ = 0;
}

Status DeviceBuffer::upload(const void* host, size_t bytes, size_t offset) {
  if (offset + bytes > size_) return internal_error("cuda: upload past the end of a device buffer");
  MOBIQ_CUDA_RETURN_IF_ERROR(cudaMemcpy(static_cast<char*>(data_) + offset, host, bytes, cudaMemcpyHostToDevice));
  return Status::Ok();
}

Status DeviceBuffer::download(void* host, size_t bytes) const {
  if (bytes > size_) return internal_error("cuda: download past the end of a device buffer");
  MOBIQ_CUDA_RETURN_IF_ERROR(cudaMemcpy(host, data_, bytes, cudaMemcpyDeviceToHost));
  return Status::Ok();
}

}  // namespace mobiq::cuda
