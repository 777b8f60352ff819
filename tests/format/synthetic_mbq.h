// A small synthetic model written with MbqWriter, for the format tests: odd sizes (in not a multiple of
// 128 or of 4), an untied f32 output head, bf16 embedding, f16 norms, and random weight bytes.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "format/mbq_tensors.h"
#include "format/mbq_writer.h"

namespace mobiq::test {

struct SyntheticLinear {
  MbqLinearSpec spec;
  std::array<std::vector<uint8_t>, kMaxPlanes> planes;
  std::vector<uint16_t> scales;
  std::vector<uint16_t> zeros;

  SlicedTensor view() const {
    SlicedTensor v;
    v.out = spec.out;
    v.in = spec.in;
    v.n_planes = spec.n_planes;
    for (int p = 0; p < spec.n_planes; ++p) v.planes[p] = planes[p].data();
    v.scales = scales.data();
    v.zeros = zeros.data();
    return v;
  }
};

struct SyntheticModel {
  MbqMetadata metadata;
  std::vector<MbqDenseSpec> dense;
  std::vector<std::vector<uint8_t>> dense_bytes;
  std::vector<SyntheticLinear> linears;
};

inline ModelConfig synthetic_config() {
  ModelConfig c;
  c.vocab_size = 50;
  c.hidden_size = 130;  // not a multiple of 4, two groups (128 + 2)
  c.intermediate_size = 300;
  c.n_layers = 2;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.head_dim = 16;
  c.rms_norm_eps = 1e-6f;
  c.rope_theta = 500000.0f;
  c.rope_scaling = {RopeScalingType::kLlama3, 8.0f, 1.0f, 4.0f, 8192};
  c.max_position = 4096;
  c.tie_embeddings = false;
  c.bos_id = 1;
  c.eos_ids = {2, 7};
  return c;
}

inline SyntheticModel make_synthetic_model(uint32_t seed = 1) {
  std::mt19937 rng(seed);
  auto random_bytes = [&](size_t n) {
    std::vector<uint8_t> v(n);
    for (auto& b : v) b = static_cast<uint8_t>(rng());
    return v;
  };
  SyntheticModel m;
  m.metadata.config = synthetic_config();
  const ModelConfig& c = m.metadata.config;
  m.metadata.architecture = "llama";
  m.metadata.tokenizer_json = R"({"model": {"type": "BPE"}, "note": "synthetic"})";
  m.metadata.tokenizer_config_json = R"({"add_bos_token": true})";
  m.metadata.chat_template = "{% for m in messages %}{{ m.content }}{% endfor %}";
  m.metadata.source = "synthetic:seed" + std::to_string(seed);
  m.metadata.source_dtype = DType::kBF16;
  m.metadata.quantization_method = "nested-rtn";
  m.metadata.converter_version = "test 1.0";

  auto add_dense = [&](std::string name, fb::DenseRole role, int32_t layer, DType dtype, std::vector<int64_t> shape) {
    int64_t n = dtype_size(dtype);
    for (int64_t d : shape) n *= d;
    m.dense.push_back({std::move(name), role, layer, dtype, std::move(shape)});
    m.dense_bytes.push_back(random_bytes(static_cast<size_t>(n)));
  };
  add_dense("embed", fb::DenseRole::TokenEmbedding, -1, DType::kBF16, {c.vocab_size, c.hidden_size});
  for (int32_t l = 0; l < c.n_layers; ++l) {
    add_dense("attn_norm." + std::to_string(l), fb::DenseRole::AttnNorm, l, DType::kF16, {c.hidden_size});
    add_dense("ffn_norm." + std::to_string(l), fb::DenseRole::FfnNorm, l, DType::kF16, {c.hidden_size});
  }
  add_dense("final_norm", fb::DenseRole::FinalNorm, -1, DType::kF16, {c.hidden_size});
  add_dense("lm_head", fb::DenseRole::Output, -1, DType::kF32, {c.vocab_size, c.hidden_size});

  for (int32_t l = 0; l < c.n_layers; ++l) {
    for (fb::Projection projection : fb::EnumValuesProjection()) {
      const std::pair<int64_t, int64_t> shape = *linear_shape(c, projection);
      SyntheticLinear lin;
      lin.spec = {l, projection, shape.first, shape.second, kMaxPlanes};
      for (auto& plane : lin.planes) plane = random_bytes(static_cast<size_t>(shape.first * packed_row_bytes(shape.second)));
      const size_t params = static_cast<size_t>(shape.first * n_groups(shape.second));
      for (size_t i = 0; i < params; ++i) {
        lin.scales.push_back(static_cast<uint16_t>(rng()));
        lin.zeros.push_back(static_cast<uint16_t>(rng()));
      }
      m.linears.push_back(std::move(lin));
    }
  }
  return m;
}

// Writes `m` to `path`, tensors handed over in reverse order (the layout must not depend on it).
inline Status write_synthetic_model(const SyntheticModel& m, const std::string& path,
                                    const MbqWriterOptions& options = {}) {
  std::vector<MbqLinearSpec> specs;
  for (const auto& l : m.linears) specs.push_back(l.spec);
  MOBIQ_ASSIGN_OR_RETURN(MbqWriter writer, MbqWriter::create(path, m.metadata, m.dense, specs, options));
  for (size_t i = m.linears.size(); i-- > 0;) MOBIQ_RETURN_IF_ERROR(writer.write_linear(i, m.linears[i].view()));
  for (size_t i = m.dense.size(); i-- > 0;) MOBIQ_RETURN_IF_ERROR(writer.write_dense(i, m.dense_bytes[i]));
  return writer.finish();
}

inline std::vector<uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// A fresh directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("mobiq-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace mobiq::test
