// A read-only memory mapping of a whole file, released when the object dies. Move-only, so views
// into data() stay valid for as long as some owner holds the mapping.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/core/result.h"

namespace mobiq {

class MappedFile {
 public:
  // kNotFound when the file does not exist, kIoError when it cannot be opened or mapped.
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
  MappedFile(std::string path, const uint8_t* data, uint64_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  void release();

  std::string path_;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace mobiq
