// A whole file mapped read-only into memory. Move-only: the mapping's address never changes, so
// pointers into data() stay valid while any owner holds it.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/core/result.h"

namespace mobiq {

class MappedFile {
 public:
  // kNotFound when nothing is at `path`, kInvalidArgument for a directory or other non-regular file,
  // kIoError when the OS refuses to open or map it. An empty file maps to data() == nullptr, size() == 0.
  static Result<MappedFile> open(const std::string& path);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return data_; }  // nullptr for an empty file
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, const uint8_t* bytes, uint64_t size)
      : path_(std::move(path)), data_(bytes), size_(size) {}
  void release();

  std::string path_;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace mobiq
