// A whole file mapped read-only into memory. Move-only: the mapping's address never changes, so
// pointers into bytes() stay valid while any owner holds it.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/core/result.h"

namespace mobiq {

class MmapFile {
 public:
  // kNotFound when nothing is at `path`, kInvalidArgument for a directory or other non-regular file,
  // kIoError when the OS refuses to open or map it. An empty file maps to bytes() == nullptr, size() == 0.
  static Result<MmapFile> open(const std::string& path);

  MmapFile(MmapFile&& other) noexcept;
  MmapFile& operator=(MmapFile&& other) noexcept;
  MmapFile(const MmapFile&) = delete;
  MmapFile& operator=(const MmapFile&) = delete;
  ~MmapFile();

  const uint8_t* bytes() const { return bytes_; }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MmapFile(std::string path, const uint8_t* bytes, uint64_t size)
      : path_(std::move(path)), bytes_(bytes), size_(size) {}
  void unmap();

  std::string path_;
  const uint8_t* bytes_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace mobiq
