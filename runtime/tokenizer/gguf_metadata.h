// A small GGUF metadata reader: the header and the key/value section (every GGUF value type, arrays
// and nested arrays included). It stops where the tensor infos begin. Every length and count is checked
// against the bytes that are left before anything is allocated, so a truncated or corrupted file is a
// kCorruptFile error, never a crash or a huge allocation.
//
// Layout (little-endian): "GGUF", u32 version (2 or 3), u64 tensor_count, u64 kv_count, then kv_count
// times { string key, u32 type, value }; string = u64 length + bytes; array = u32 element type,
// u64 count, elements.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/core/result.h"

namespace mobiq::gguf {

enum class ValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

const char* value_type_name(ValueType type);

struct Value {
  ValueType type = ValueType::kUint8;

  // Scalars: integers and bools in `integer` (a uint64 above INT64_MAX is kept in `uinteger` only),
  // floats in `real`, strings in `string`.
  int64_t integer = 0;
  uint64_t uinteger = 0;
  double real = 0.0;
  std::string string;

  // Arrays (type == kArray): the element type and the elements, in the one vector that fits it.
  ValueType element_type = ValueType::kUint8;
  std::vector<int64_t> integers;      // integer and bool elements (uint64 elements bit-cast)
  std::vector<double> reals;          // float32 / float64 elements
  std::vector<std::string> strings;   // string elements
  std::vector<Value> arrays;          // nested array elements

  bool is_integer() const;             // any integer type or bool
  std::optional<int64_t> as_int() const;  // integer scalars (and bools); nullopt otherwise
  std::optional<double> as_float() const;  // float or integer scalars
  std::optional<bool> as_bool() const;     // bool or integer scalars
  const std::string* as_string() const;    // string scalars
  size_t array_size() const;               // element count of an array, 0 for a scalar
};

struct Metadata {
  uint32_t version = 0;
  uint64_t tensor_count = 0;
  std::vector<std::pair<std::string, Value>> entries;  // in file order
  uint64_t kv_end_offset = 0;  // where the tensor infos start

  const Value* find(std::string_view key) const;
};

// Reads the metadata of a GGUF file (only up to the end of the key/value section).
Result<Metadata> read_metadata(const std::string& path);
// The same, from bytes in memory (the whole file or a prefix holding the header and KV section).
Result<Metadata> parse_metadata(std::string_view bytes);

}  // namespace mobiq::gguf
