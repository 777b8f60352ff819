// Writes small synthetic safetensors files and Hugging Face checkpoint directories for the model
// tests. Element values come from a formula of (tensor seed, index), so a test can check any view
// against the formula instead of against stored numbers.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <unistd.h>

#include "format/model_weights.h"
#include "runtime/core/half.h"

namespace mobiq::test {

namespace fs = std::filesystem;

// Small values that every dtype holds exactly (multiples of 1/8 below 32).
inline float test_value(int seed, int64_t index) {
  return static_cast<float>((seed * 7 + index) % 61 - 30) * 0.125f;
}

inline std::vector<uint8_t> encode_values(const std::string& dtype, int seed, int64_t count) {
  std::vector<uint8_t> bytes;
  for (int64_t i = 0; i < count; ++i) {
    const float v = test_value(seed, i);
    if (dtype == "F32") {
      uint8_t b[4];
      std::memcpy(b, &v, 4);
      bytes.insert(bytes.end(), b, b + 4);
    } else {
      const uint16_t h = dtype == "F16" ? f32_to_f16(v) : f32_to_bf16(v);
      bytes.push_back(static_cast<uint8_t>(h & 0xff));
      bytes.push_back(static_cast<uint8_t>(h >> 8));
    }
  }
  return bytes;
}

// Element `index` of a dense view, as f32.
inline float read_element(const DenseTensor& t, int64_t index) {
  const auto* p = static_cast<const uint8_t*>(t.data) + index * dtype_size(t.dtype);
  if (t.dtype == DType::kF32) {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  const uint16_t h = static_cast<uint16_t>(p[0] | p[1] << 8);
  return t.dtype == DType::kF16 ? f16_to_f32(h) : bf16_to_f32(h);
}

struct TestTensor {
  std::string name;
  std::string dtype;  // "F32", "F16", "BF16", or any string a test wants in the header
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

inline TestTensor make_tensor(const std::string& name, const std::string& dtype, std::vector<int64_t> shape,
                              int seed) {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  return {name, dtype, shape, encode_values(dtype, seed, count)};
}

inline std::string u64_le(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

// The header JSON of `tensors` laid out back to back, padded with spaces to 8 bytes as writers do;
// with `odd_data_offset`, padded so the data starts at an odd offset of the file instead (legal: the
// format only recommends the padding), which leaves every 16-bit and 32-bit element misaligned.
inline std::string safetensors_header(const std::vector<TestTensor>& tensors, bool odd_data_offset = false) {
  nlohmann::json header = nlohmann::json::object();
  header["__metadata__"] = {{"format", "pt"}};
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string text = header.dump();
  while ((text.size() + 8) % 8 != (odd_data_offset ? 1u : 0u)) text += ' ';
  return text;
}

inline std::string safetensors_bytes(const std::vector<TestTensor>& tensors, bool odd_data_offset = false) {
  const std::string header = safetensors_header(tensors, odd_data_offset);
  std::string bytes = u64_le(header.size()) + header;
  for (const auto& t : tensors) bytes.append(reinterpret_cast<const char*>(t.bytes.data()), t.bytes.size());
  return bytes;
}

inline void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("mobiq_model_test_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

// A tiny Llama checkpoint: its config.json and the tensors weights() needs.
struct TinyLlama {
  int vocab = 40, hidden = 16, inter = 24, layers = 2, heads = 4;
  int kv_heads = 2;       // 0: leave num_key_value_heads out of config.json
  int head_dim = 0;       // 0: leave head_dim out (hidden / heads)
  bool tied = false;
  std::string dtype = "F32";

  int effective_head_dim() const { return head_dim > 0 ? head_dim : hidden / heads; }
  int effective_kv_heads() const { return kv_heads > 0 ? kv_heads : heads; }

  nlohmann::json config() const {
    nlohmann::json c = {{"architectures", {"LlamaForCausalLM"}},
                        {"model_type", "llama"},
                        {"vocab_size", vocab},
                        {"hidden_size", hidden},
                        {"intermediate_size", inter},
                        {"num_hidden_layers", layers},
                        {"num_attention_heads", heads},
                        {"max_position_embeddings", 128},
                        {"rms_norm_eps", 1e-6},
                        {"rope_theta", 500000.0},
                        {"rope_scaling", nullptr},
                        {"tie_word_embeddings", tied},
                        {"hidden_act", "silu"},
                        {"bos_token_id", 1},
                        {"eos_token_id", 2}};
    if (kv_heads > 0) c["num_key_value_heads"] = kv_heads;
    if (head_dim > 0) c["head_dim"] = head_dim;
    return c;
  }

  // Every tensor in HF names with the shapes the config implies; seeds are the tensor's position.
  std::vector<TestTensor> tensors() const {
    const int64_t q_dim = heads * effective_head_dim(), kv_dim = effective_kv_heads() * effective_head_dim();
    std::vector<std::pair<std::string, std::vector<int64_t>>> specs = {
        {"model.embed_tokens.weight", {vocab, hidden}}, {"model.norm.weight", {hidden}}};
    if (!tied) specs.push_back({"lm_head.weight", {vocab, hidden}});
    for (int i = 0; i < layers; ++i) {
      const std::string p = "model.layers." + std::to_string(i) + ".";
      specs.push_back({p + "input_layernorm.weight", {hidden}});
      specs.push_back({p + "post_attention_layernorm.weight", {hidden}});
      specs.push_back({p + "self_attn.q_proj.weight", {q_dim, hidden}});
      specs.push_back({p + "self_attn.k_proj.weight", {kv_dim, hidden}});
      specs.push_back({p + "self_attn.v_proj.weight", {kv_dim, hidden}});
      specs.push_back({p + "self_attn.o_proj.weight", {hidden, q_dim}});
      specs.push_back({p + "mlp.gate_proj.weight", {inter, hidden}});
      specs.push_back({p + "mlp.up_proj.weight", {inter, hidden}});
      specs.push_back({p + "mlp.down_proj.weight", {hidden, inter}});
    }
    std::vector<TestTensor> out;
    for (size_t i = 0; i < specs.size(); ++i)
      out.push_back(make_tensor(specs[i].first, dtype, specs[i].second, static_cast<int>(i)));
    return out;
  }
};

// Seed make_tensor gave `name` in TinyLlama::tensors(), or -1.
inline int seed_of(const std::vector<TestTensor>& tensors, const std::string& name) {
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].name == name) return static_cast<int>(i);
  return -1;
}

inline void write_config(const fs::path& dir, const nlohmann::json& config) {
  write_file(dir / "config.json", config.dump(2));
}

inline void write_single_file(const fs::path& dir, const std::vector<TestTensor>& tensors,
                              bool odd_data_offset = false) {
  write_file(dir / "model.safetensors", safetensors_bytes(tensors, odd_data_offset));
}

// Splits `tensors` round-robin over `n_shards` files and writes the index that maps them.
inline void write_sharded(const fs::path& dir, const std::vector<TestTensor>& tensors, int n_shards) {
  std::vector<std::vector<TestTensor>> shards(static_cast<size_t>(n_shards));
  nlohmann::json weight_map = nlohmann::json::object();
  for (size_t i = 0; i < tensors.size(); ++i) {
    const size_t s = i % static_cast<size_t>(n_shards);
    shards[s].push_back(tensors[i]);
  }
  for (int s = 0; s < n_shards; ++s) {
    char name[64];
    std::snprintf(name, sizeof name, "model-%05d-of-%05d.safetensors", s + 1, n_shards);
    write_file(dir / name, safetensors_bytes(shards[static_cast<size_t>(s)]));
    for (const auto& t : shards[static_cast<size_t>(s)]) weight_map[t.name] = name;
  }
  nlohmann::json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", weight_map}};
  write_file(dir / "model.safetensors.index.json", index.dump(2));
}

}  // namespace mobiq::test
