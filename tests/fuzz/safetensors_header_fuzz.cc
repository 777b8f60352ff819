// A safetensors file: the 8-byte header length, the JSON header, tensor offsets against the data
// area. Every tensor that parses must lie inside the file, and reading it as f32 must stay in bounds.
#include <cstdint>
#include <vector>

#include "runtime/math/tensor_read.h"
#include "runtime/model/safetensors.h"
#include "tests/fuzz/fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = mobiq::fuzz::write_input(data, size, ".safetensors");
  auto file = mobiq::SafetensorsFile::open(path);
  if (!file.ok()) return 0;
  const uint8_t* begin = file->mapping().data();
  const uint8_t* end = begin + file->mapping().size();
  std::vector<float> row;
  for (const mobiq::SafetensorsTensor& t : file->tensors()) {
    mobiq::fuzz::check(t.size_bytes == 0 || (t.data >= begin && t.data + t.size_bytes <= end));
    auto view = mobiq::dense_view(t);
    if (!view.ok() || view->rows <= 0 || view->cols <= 0 || view->cols > (1 << 20)) continue;
    row.resize(static_cast<size_t>(view->cols));
    mobiq::math::read_row(*view, view->rows - 1, row.data());  // the last row: the one that could overrun
  }
  return 0;
}
