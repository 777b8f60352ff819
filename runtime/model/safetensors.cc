#include "runtime/model/safetensors.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

namespace mobiq {
namespace {

using nlohmann::json;

constexpr uint64_t kHeaderLengthBytes = 8;

// Element sizes of every dtype the safetensors format defines.
struct DTypeSize {
  std::string_view name;
  int size;
};
constexpr DTypeSize kDTypeSizes[] = {
    {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2},
    {"U16", 2},  {"F16", 2}, {"BF16", 2}, {"I32", 4},     {"U32", 4},     {"F32", 4},
    {"F64", 8},  {"I64", 8}, {"U64", 8},
};

int element_size_of(std::string_view dtype) {
  for (const auto& entry : kDTypeSizes)
    if (entry.name == dtype) return entry.size;
  return 0;
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// One header entry -> a validated tensor. `data_begin`/`data_size` describe the data area.
Result<SafetensorsTensor> parse_entry(const std::string& name, const json& entry, const uint8_t* data_begin,
                                      uint64_t data_size) {
  const std::string where = "tensor '" + name + "'";
  if (!entry.is_object()) return corrupt_file(where + ": header entry is not an object");

  const auto dtype_it = entry.find("dtype");
  if (dtype_it == entry.end() || !dtype_it->is_string())
    return corrupt_file(where + ": missing or non-string \"dtype\"");
  SafetensorsTensor tensor;
  tensor.name = name;
  tensor.dtype_name = dtype_it->get<std::string>();
  tensor.element_size = element_size_of(tensor.dtype_name);
  if (tensor.element_size == 0) return unsupported(where + " has unknown dtype '" + tensor.dtype_name + "'");

  const auto shape_it = entry.find("shape");
  if (shape_it == entry.end() || !shape_it->is_array())
    return corrupt_file(where + ": missing or non-array \"shape\"");
  // Element count with overflow checks: a hostile header must not wrap it round to a small number.
  uint64_t elements = 1;
  for (const auto& dim : *shape_it) {
    if (!dim.is_number_unsigned()) return corrupt_file(where + ": shape has a non-integer or negative dimension");
    const uint64_t d = dim.get<uint64_t>();
    if (d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return corrupt_file(where + ": shape dimension too large");
    if (d != 0 && elements > std::numeric_limits<uint64_t>::max() / d)
      return corrupt_file(where + ": shape overflows");
    elements *= d;
    tensor.shape.push_back(static_cast<int64_t>(d));
  }
  const auto esize = static_cast<uint64_t>(tensor.element_size);
  if (elements > std::numeric_limits<uint64_t>::max() / esize) return corrupt_file(where + ": shape overflows");
  const uint64_t expected_bytes = elements * esize;

  const auto offsets_it = entry.find("data_offsets");
  if (offsets_it == entry.end() || !offsets_it->is_array() || offsets_it->size() != 2 ||
      !(*offsets_it)[0].is_number_unsigned() || !(*offsets_it)[1].is_number_unsigned())
    return corrupt_file(where + ": \"data_offsets\" must be two non-negative integers");
  const uint64_t begin = (*offsets_it)[0].get<uint64_t>();
  const uint64_t end = (*offsets_it)[1].get<uint64_t>();
  if (begin > end)
    return corrupt_file(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                        "] end before they begin");
  if (end > data_size)
    return corrupt_file(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                        "] run past the end of the file (data area is " + std::to_string(data_size) +
                        " bytes)");
  if (end - begin != expected_bytes)
    return corrupt_file(where + ": " + std::to_string(end - begin) + " bytes of data but shape " +
                        shape_string(tensor.shape) + " of " + tensor.dtype_name + " needs " +
                        std::to_string(expected_bytes));
  tensor.size_bytes = expected_bytes;
  tensor.data = expected_bytes == 0 ? nullptr : data_begin + begin;
  return tensor;
}

Result<std::vector<SafetensorsTensor>> parse_header(const MappedFile& file) {
  if (file.size() < kHeaderLengthBytes)
    return corrupt_file("file is " + std::to_string(file.size()) + " bytes, too short for the 8-byte header length");
  const uint64_t header_size = read_u64_le(file.data());
  const uint64_t after_length = file.size() - kHeaderLengthBytes;
  if (header_size > after_length)
    return corrupt_file("header length " + std::to_string(header_size) + " is larger than the " +
                        std::to_string(after_length) + " bytes that follow it");
  const char* header_begin = reinterpret_cast<const char*>(file.data() + kHeaderLengthBytes);

  json header;
  try {
    header = json::parse(header_begin, header_begin + header_size);
  } catch (const json::exception& e) {
    return corrupt_file(std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) return corrupt_file("header is not a JSON object");

  const uint8_t* data_begin = file.data() + kHeaderLengthBytes + header_size;
  const uint64_t data_size = after_length - header_size;
  std::vector<SafetensorsTensor> tensors;
  tensors.reserve(header.size());
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;  // free-form string map; nothing the runtime needs
    MOBIQ_ASSIGN_OR_RETURN(SafetensorsTensor tensor, parse_entry(name, entry, data_begin, data_size));
    tensors.push_back(std::move(tensor));
  }
  return tensors;
}

}  // namespace

Result<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  MOBIQ_ASSIGN_OR_RETURN(MappedFile file, MappedFile::open(path));
  auto tensors = parse_header(file);
  if (!tensors.ok()) return tensors.status().with_context(path);
  return SafetensorsFile(std::move(file), std::move(tensors).value());
}

const SafetensorsTensor* SafetensorsFile::find(const std::string& name) const {
  const auto it = std::find_if(tensors_.begin(), tensors_.end(),
                               [&](const SafetensorsTensor& t) { return t.name == name; });
  return it == tensors_.end() ? nullptr : &*it;
}

Result<DType> float_dtype_of(const SafetensorsTensor& tensor) {
  if (tensor.dtype_name == "F32") return DType::kF32;
  if (tensor.dtype_name == "F16") return DType::kF16;
  if (tensor.dtype_name == "BF16") return DType::kBF16;
  return unsupported("tensor '" + tensor.name + "' has dtype " + tensor.dtype_name +
                     "; only F32, F16 and BF16 weights are supported");
}

Result<DenseTensor> dense_view(const SafetensorsTensor& tensor) {
  MOBIQ_ASSIGN_OR_RETURN(DType dtype, float_dtype_of(tensor));
  DenseTensor view;
  view.dtype = dtype;
  view.data = tensor.data;
  switch (tensor.shape.size()) {
    case 1:
      view.rows = 1;
      view.cols = tensor.shape[0];
      break;
    case 2:
      view.rows = tensor.shape[0];
      view.cols = tensor.shape[1];
      break;
    default:
      return unsupported("tensor '" + tensor.name + "' has " + std::to_string(tensor.shape.size()) +
                         " dimensions; only 1-D and 2-D tensors are supported");
  }
  return view;
}

}  // namespace mobiq
