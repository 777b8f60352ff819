#include "runtime/tokenizer/gguf_metadata.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <unordered_set>

#include "runtime/core/regular_file.h"

namespace mobiq::gguf {

const char* value_type_name(ValueType type) {
  switch (type) {
    case ValueType::kUint8: return "uint8";
    case ValueType::kInt8: return "int8";
    case ValueType::kUint16: return "uint16";
    case ValueType::kInt16: return "int16";
    case ValueType::kUint32: return "uint32";
    case ValueType::kInt32: return "int32";
    case ValueType::kFloat32: return "float32";
    case ValueType::kBool: return "bool";
    case ValueType::kString: return "string";
    case ValueType::kArray: return "array";
    case ValueType::kUint64: return "uint64";
    case ValueType::kInt64: return "int64";
    case ValueType::kFloat64: return "float64";
  }
  return "unknown";
}

bool Value::is_integer() const {
  switch (type) {
    case ValueType::kUint8: case ValueType::kInt8: case ValueType::kUint16: case ValueType::kInt16:
    case ValueType::kUint32: case ValueType::kInt32: case ValueType::kUint64: case ValueType::kInt64:
    case ValueType::kBool:
      return true;
    default:
      return false;
  }
}

std::optional<int64_t> Value::as_int() const {
  if (!is_integer()) return std::nullopt;
  if (type == ValueType::kUint64 && uinteger > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return std::nullopt;
  return integer;
}

std::optional<double> Value::as_float() const {
  if (type == ValueType::kFloat32 || type == ValueType::kFloat64) return real;
  if (auto i = as_int()) return static_cast<double>(*i);
  return std::nullopt;
}

std::optional<bool> Value::as_bool() const {
  if (auto i = as_int()) return *i != 0;
  return std::nullopt;
}

const std::string* Value::as_string() const { return type == ValueType::kString ? &string : nullptr; }

size_t Value::array_size() const {
  if (type != ValueType::kArray) return 0;
  switch (element_type) {
    case ValueType::kString: return strings.size();
    case ValueType::kArray: return arrays.size();
    case ValueType::kFloat32: case ValueType::kFloat64: return reals.size();
    default: return integers.size();
  }
}

const Value* Metadata::find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}

namespace {

constexpr uint32_t kMaxNesting = 8;        // arrays of arrays of ...; real files use at most 2
constexpr uint64_t kMaxKeyLength = 65535;  // the GGUF specification's limit

// Where the bytes come from: a file read through a buffer, or memory. Both know how many bytes are
// left, which is what every length is checked against.
class Source {
 public:
  virtual ~Source() = default;
  virtual bool read(void* dst, size_t n) = 0;  // false on a short read
  virtual uint64_t offset() const = 0;
  virtual uint64_t size() const = 0;
  uint64_t remaining() const { return size() - offset(); }
};

class MemorySource final : public Source {
 public:
  explicit MemorySource(std::string_view bytes) : bytes_(bytes) {}
  bool read(void* dst, size_t n) override {
    if (n > bytes_.size() - pos_) return false;
    std::memcpy(dst, bytes_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  uint64_t offset() const override { return pos_; }
  uint64_t size() const override { return bytes_.size(); }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

class FileSource final : public Source {
 public:
  FileSource(std::FILE* file, uint64_t size) : file_(file), size_(size) {}
  bool read(void* dst, size_t n) override {
    if (n > remaining()) return false;
    const size_t got = std::fread(dst, 1, n, file_);
    pos_ += got;
    return got == n;
  }
  uint64_t offset() const override { return pos_; }
  uint64_t size() const override { return size_; }

 private:
  std::FILE* file_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

size_t scalar_size(ValueType type) {
  switch (type) {
    case ValueType::kUint8: case ValueType::kInt8: case ValueType::kBool: return 1;
    case ValueType::kUint16: case ValueType::kInt16: return 2;
    case ValueType::kUint32: case ValueType::kInt32: case ValueType::kFloat32: return 4;
    case ValueType::kUint64: case ValueType::kInt64: case ValueType::kFloat64: return 8;
    default: return 0;
  }
}

bool valid_type(uint32_t t) { return t <= static_cast<uint32_t>(ValueType::kFloat64); }

class Parser {
 public:
  explicit Parser(Source& src) : src_(src) {}

  Result<Metadata> parse() {
    char magic[4];
    if (!src_.read(magic, 4)) return truncated("the magic");
    if (std::memcmp(magic, "GGUF", 4) != 0) return corrupt_file("not a GGUF file (bad magic)");
    Metadata meta;
    MOBIQ_RETURN_IF_ERROR(read_pod(meta.version, "the version"));
    if (meta.version == 0 || (meta.version & 0xFFFF) == 0)
      return unsupported("GGUF version field " + std::to_string(meta.version) +
                         " (a big-endian GGUF file is not supported)");
    if (meta.version == 1) return unsupported("GGUF version 1 (32-bit lengths) is not supported; convert to v3");
    if (meta.version > 3) return unsupported("GGUF version " + std::to_string(meta.version) + " is newer than 3");
    uint64_t kv_count = 0;
    MOBIQ_RETURN_IF_ERROR(read_pod(meta.tensor_count, "the tensor count"));
    MOBIQ_RETURN_IF_ERROR(read_pod(kv_count, "the key/value count"));
    // A tensor info is at least a name length, a dimension count, one dimension, a type and an offset.
    if (meta.tensor_count > src_.remaining() / 32)
      return corrupt_file("tensor count " + std::to_string(meta.tensor_count) + " cannot fit in the file");
    // A key/value pair is at least a key length, a type and a one-byte value.
    if (kv_count > src_.remaining() / 13)
      return corrupt_file("key/value count " + std::to_string(kv_count) + " cannot fit in the remaining " +
                          std::to_string(src_.remaining()) + " bytes");
    meta.entries.reserve(static_cast<size_t>(kv_count));
    std::unordered_set<std::string> seen;
    for (uint64_t i = 0; i < kv_count; ++i) {
      std::string key;
      MOBIQ_RETURN_IF_ERROR(read_string(key, kMaxKeyLength, "key " + std::to_string(i)));
      uint32_t type = 0;
      MOBIQ_RETURN_IF_ERROR(read_pod(type, "the type of " + key));
      Value value;
      MOBIQ_RETURN_IF_ERROR(read_value(type, value, 0, key));
      if (!seen.insert(key).second) return corrupt_file("duplicate key " + key);
      meta.entries.emplace_back(std::move(key), std::move(value));
    }
    meta.kv_end_offset = src_.offset();
    return meta;
  }

 private:
  Status truncated(const std::string& what) const {
    return corrupt_file("truncated GGUF: file ends (at byte " + std::to_string(src_.size()) + ") inside " + what);
  }

  template <typename T>
  Status read_pod(T& out, const std::string& what) {
    if (!src_.read(&out, sizeof(T))) return truncated(what);
    return Status::Ok();
  }

  Status read_string(std::string& out, uint64_t max_length, const std::string& what) {
    uint64_t length = 0;
    MOBIQ_RETURN_IF_ERROR(read_pod(length, what));
    if (length > src_.remaining())
      return corrupt_file("string length " + std::to_string(length) + " of " + what + " exceeds the remaining " +
                          std::to_string(src_.remaining()) + " bytes");
    if (length > max_length)
      return corrupt_file("string length " + std::to_string(length) + " of " + what + " exceeds the limit " +
                          std::to_string(max_length));
    out.resize(static_cast<size_t>(length));
    if (!src_.read(out.data(), out.size())) return truncated(what);
    return Status::Ok();
  }

  Status read_scalar(ValueType type, int64_t& integer, uint64_t& uinteger, double& real, const std::string& what) {
    unsigned char buffer[8];
    const size_t n = scalar_size(type);
    if (!src_.read(buffer, n)) return truncated(what);
    switch (type) {
      case ValueType::kUint8: case ValueType::kBool: integer = buffer[0]; break;
      case ValueType::kInt8: integer = static_cast<int8_t>(buffer[0]); break;
      case ValueType::kUint16: { uint16_t v; std::memcpy(&v, buffer, 2); integer = v; break; }
      case ValueType::kInt16: { int16_t v; std::memcpy(&v, buffer, 2); integer = v; break; }
      case ValueType::kUint32: { uint32_t v; std::memcpy(&v, buffer, 4); integer = v; break; }
      case ValueType::kInt32: { int32_t v; std::memcpy(&v, buffer, 4); integer = v; break; }
      case ValueType::kUint64: { uint64_t v; std::memcpy(&v, buffer, 8); integer = static_cast<int64_t>(v); uinteger = v; return Status::Ok(); }
      case ValueType::kInt64: { int64_t v; std::memcpy(&v, buffer, 8); integer = v; break; }
      case ValueType::kFloat32: { float v; std::memcpy(&v, buffer, 4); real = v; return Status::Ok(); }
      case ValueType::kFloat64: { double v; std::memcpy(&v, buffer, 8); real = v; return Status::Ok(); }
      default: return internal_error("read_scalar on a non-scalar type");
    }
    uinteger = static_cast<uint64_t>(integer);
    return Status::Ok();
  }

  Status read_value(uint32_t raw_type, Value& value, uint32_t depth, const std::string& key) {
    if (!valid_type(raw_type))
      return corrupt_file("unknown GGUF value type " + std::to_string(raw_type) + " for key " + key);
    value.type = static_cast<ValueType>(raw_type);
    if (value.type == ValueType::kString) return read_string(value.string, UINT64_MAX, "the value of " + key);
    if (value.type != ValueType::kArray) {
      return read_scalar(value.type, value.integer, value.uinteger, value.real, "the value of " + key);
    }
    if (depth >= kMaxNesting) return corrupt_file("arrays nested deeper than " + std::to_string(kMaxNesting) + " in " + key);
    uint32_t raw_element = 0;
    uint64_t count = 0;
    MOBIQ_RETURN_IF_ERROR(read_pod(raw_element, "the array type of " + key));
    if (!valid_type(raw_element))
      return corrupt_file("unknown GGUF array element type " + std::to_string(raw_element) + " for key " + key);
    MOBIQ_RETURN_IF_ERROR(read_pod(count, "the array length of " + key));
    value.element_type = static_cast<ValueType>(raw_element);
    // The least each element takes: its scalar size, a string's length field, a nested array's header.
    const uint64_t min_size = value.element_type == ValueType::kString  ? 8
                              : value.element_type == ValueType::kArray ? 12
                                                                        : scalar_size(value.element_type);
    if (count > src_.remaining() / min_size)
      return corrupt_file("array length " + std::to_string(count) + " of " + key + " (" +
                          value_type_name(value.element_type) + ") exceeds the remaining " +
                          std::to_string(src_.remaining()) + " bytes");
    const size_t n = static_cast<size_t>(count);
    const std::string what = "the array " + key;
    switch (value.element_type) {
      case ValueType::kString:
        value.strings.resize(n);
        for (size_t i = 0; i < n; ++i) MOBIQ_RETURN_IF_ERROR(read_string(value.strings[i], UINT64_MAX, what));
        break;
      case ValueType::kArray:
        value.arrays.resize(n);
        for (size_t i = 0; i < n; ++i) {
          uint32_t inner = 0;
          MOBIQ_RETURN_IF_ERROR(read_pod(inner, what));
          MOBIQ_RETURN_IF_ERROR(read_value(inner, value.arrays[i], depth + 1, key));
        }
        break;
      case ValueType::kFloat32:
      case ValueType::kFloat64: {
        value.reals.resize(n);
        int64_t ignored_i;
        uint64_t ignored_u;
        for (size_t i = 0; i < n; ++i)
          MOBIQ_RETURN_IF_ERROR(read_scalar(value.element_type, ignored_i, ignored_u, value.reals[i], what));
        break;
      }
      default: {
        value.integers.resize(n);
        uint64_t ignored_u;
        double ignored_r;
        for (size_t i = 0; i < n; ++i)
          MOBIQ_RETURN_IF_ERROR(read_scalar(value.element_type, value.integers[i], ignored_u, ignored_r, what));
        break;
      }
    }
    return Status::Ok();
  }

  Source& src_;
};

Result<Metadata> parse_guarded(Source& src) {
  try {
    return Parser(src).parse();
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kOutOfMemory, "reading GGUF metadata");
  } catch (const std::exception& e) {
    return internal_error(std::string("reading GGUF metadata: ") + e.what());
  }
}

}  // namespace

Result<Metadata> parse_metadata(std::string_view bytes) {
  MemorySource src(bytes);
  return parse_guarded(src);
}

Result<Metadata> read_metadata(const std::string& path) {
  // A FIFO would block the open and then stream forever: only regular files.
  Result<int> fd = open_regular_file(path);
  if (!fd.ok()) return fd.status().with_context("GGUF file");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(::fdopen(*fd, "rb"), &std::fclose);
  if (!file) {
    const int err = errno;
    ::close(*fd);
    return io_error("opening GGUF file " + path + ": " + std::strerror(err));
  }
  if (std::fseek(file.get(), 0, SEEK_END) != 0) return io_error("seeking in " + path);
  const long end = std::ftell(file.get());
  if (end < 0) return io_error("sizing " + path + " (not a regular file?)");
  if (std::fseek(file.get(), 0, SEEK_SET) != 0) return io_error("seeking in " + path);
  std::setvbuf(file.get(), nullptr, _IOFBF, 1 << 20);
  FileSource src(file.get(), static_cast<uint64_t>(end));
  Result<Metadata> meta = parse_guarded(src);
  if (!meta.ok()) return meta.status().with_context(path);
  if (std::ferror(file.get())) return io_error("reading " + path);
  return meta;
}

}  // namespace mobiq::gguf
