// Writes small GGUF files (header + key/value section) for the tests.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/tokenizer/gguf_metadata.h"

namespace mobiq::test {

class GgufBuilder {
 public:
  using T = gguf::ValueType;

  template <typename V>
  static void put(std::string& out, V v) {
    char b[sizeof(V)];
    std::memcpy(b, &v, sizeof(V));
    out.append(b, sizeof(V));
  }
  static void put_string(std::string& out, const std::string& s) {
    put<uint64_t>(out, s.size());
    out += s;
  }

  GgufBuilder& key(const std::string& k, T type) {
    ++kv_count_;
    put_string(kv_, k);
    put<uint32_t>(kv_, static_cast<uint32_t>(type));
    return *this;
  }
  GgufBuilder& string(const std::string& k, const std::string& v) {
    key(k, T::kString);
    put_string(kv_, v);
    return *this;
  }
  GgufBuilder& u32(const std::string& k, uint32_t v) {
    key(k, T::kUint32);
    put(kv_, v);
    return *this;
  }
  GgufBuilder& boolean(const std::string& k, bool v) {
    key(k, T::kBool);
    put<uint8_t>(kv_, v ? 1 : 0);
    return *this;
  }
  GgufBuilder& strings(const std::string& k, const std::vector<std::string>& v) {
    key(k, T::kArray);
    put<uint32_t>(kv_, static_cast<uint32_t>(T::kString));
    put<uint64_t>(kv_, v.size());
    for (const auto& s : v) put_string(kv_, s);
    return *this;
  }
  GgufBuilder& f32s(const std::string& k, const std::vector<float>& v) {
    key(k, T::kArray);
    put<uint32_t>(kv_, static_cast<uint32_t>(T::kFloat32));
    put<uint64_t>(kv_, v.size());
    for (float f : v) put(kv_, f);
    return *this;
  }
  GgufBuilder& i32s(const std::string& k, const std::vector<int32_t>& v) {
    key(k, T::kArray);
    put<uint32_t>(kv_, static_cast<uint32_t>(T::kInt32));
    put<uint64_t>(kv_, v.size());
    for (int32_t i : v) put(kv_, i);
    return *this;
  }
  // Raw bytes appended to the KV section (after a key() call, for hand-made values).
  GgufBuilder& raw(const std::string& bytes) {
    kv_ += bytes;
    return *this;
  }

  std::string build(uint32_t version = 3, uint64_t tensor_count = 0) const {
    std::string out = "GGUF";
    put(out, version);
    put(out, tensor_count);
    put<uint64_t>(out, kv_count_);
    return out + kv_;
  }

 private:
  std::string kv_;
  uint64_t kv_count_ = 0;
};

}  // namespace mobiq::test
