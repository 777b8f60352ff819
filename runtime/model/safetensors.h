// Reader for the safetensors format: an 8-byte little-endian header length N, N bytes of JSON
// ({"name": {"dtype": "BF16", "shape": [rows, cols], "data_offsets": [begin, end]}, ...,
// "__metadata__": {...}}), then the data area the offsets point into (relative to its start).
// The file is mmapped; every tensor is validated at open (known dtype, offsets inside the file,
// byte size == product(shape) * element size) so later views need no checks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "format/model_weights.h"
#include "runtime/core/mapped_file.h"
#include "runtime/core/result.h"

namespace mobiq {

struct SafetensorsTensor {
  std::string name;
  std::string dtype_name;       // as written in the header: "F32", "BF16", "I32", ...
  int element_size = 0;         // bytes per element of dtype_name
  std::vector<int64_t> shape;   // as stored; empty for a scalar
  const uint8_t* data = nullptr;  // into the mapping; nullptr when size_bytes == 0
  uint64_t size_bytes = 0;
};

class SafetensorsFile {
 public:
  // Maps `path` and validates its header. Every dtype the format defines is accepted here (a
  // reference file may hold I32 token ids); a dtype string outside the format is kUnsupported.
  static Result<SafetensorsFile> open(const std::string& path);

  const std::string& path() const { return file_.path(); }
  const MappedFile& mapping() const { return file_; }  // every tensor's data lies inside it
  const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }
  // nullptr when the file has no tensor of that name.
  const SafetensorsTensor* find(const std::string& name) const;

 private:
  SafetensorsFile(MappedFile file, std::vector<SafetensorsTensor> tensors)
      : file_(std::move(file)), tensors_(std::move(tensors)) {}

  MappedFile file_;
  std::vector<SafetensorsTensor> tensors_;  // in header order
};

// F32 / F16 / BF16 as the runtime's DType; any other dtype is kUnsupported naming the tensor.
Result<DType> float_dtype_of(const SafetensorsTensor& tensor);

// A row-major view: 2-D [rows][cols] as stored, 1-D [n] as rows = 1. Float dtypes only; more than
// two dimensions is kUnsupported.
Result<DenseTensor> dense_view(const SafetensorsTensor& tensor);

}  // namespace mobiq
