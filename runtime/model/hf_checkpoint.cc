#include "runtime/model/hf_checkpoint.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "runtime/core/text_file.h"
#include "runtime/model/safetensors.h"

namespace mobiq {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kConfigFile = "config.json";
constexpr const char* kSingleFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";
constexpr const char* kTokenizerFile = "tokenizer.json";
constexpr const char* kTokenizerConfigFile = "tokenizer_config.json";

Result<std::string> read_text_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return not_found("file not found: " + path.string());
  return mobiq::read_text_file(path.string());  // refuses a FIFO or a directory before reading
}

// A file that may be absent: "" when it is.
Result<std::string> read_optional_text_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::string();
  return read_text_file(path);
}

// The shard file names of model.safetensors.index.json, in first-mention order, with the shard
// each tensor is said to live in.
struct ShardIndex {
  std::vector<std::string> shard_files;
  std::map<std::string, std::string> shard_of_tensor;
};

Result<ShardIndex> parse_shard_index(const std::string& text) {
  json index;
  try {
    index = json::parse(text);
  } catch (const json::exception& e) {
    return corrupt_file(std::string("not valid JSON: ") + e.what());
  }
  if (!index.is_object()) return corrupt_file("not a JSON object");
  const auto map_it = index.find("weight_map");
  if (map_it == index.end() || !map_it->is_object()) return corrupt_file("missing or non-object \"weight_map\"");
  ShardIndex result;
  for (const auto& [tensor, file] : map_it->items()) {
    if (!file.is_string()) return corrupt_file("weight_map entry '" + tensor + "' is not a file name");
    const std::string name = file.get<std::string>();
    // Shards live beside the index; a path that leaves the directory is not a shard name.
    if (name.empty() || name.find('/') != std::string::npos || name.find('\\') != std::string::npos ||
        name == "." || name == "..")
      return corrupt_file("weight_map entry '" + tensor + "' names '" + name + "', not a file in the checkpoint");
    if (result.shard_of_tensor.find(tensor) == result.shard_of_tensor.end() &&
        std::find(result.shard_files.begin(), result.shard_files.end(), name) == result.shard_files.end())
      result.shard_files.push_back(name);
    result.shard_of_tensor[tensor] = name;
  }
  if (result.shard_files.empty()) return corrupt_file("\"weight_map\" is empty");
  return result;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// tokenizer_config.json's "chat_template": a string, a list of {"name", "template"} (the one named
// "default" is taken), or absent; recent transformers releases write chat_template.jinja instead.
Result<std::string> read_chat_template(const std::string& dir, const std::string& tokenizer_config_json) {
  if (!tokenizer_config_json.empty()) {
    json config;
    try {
      config = json::parse(tokenizer_config_json);
    } catch (const json::exception& e) {
      return corrupt_file(std::string("tokenizer_config.json is not valid JSON: ") + e.what());
    }
    const auto it = config.is_object() ? config.find("chat_template") : config.end();
    if (config.is_object() && it != config.end() && !it->is_null()) {
      if (it->is_string()) return it->get<std::string>();
      if (it->is_array()) {
        for (const auto& entry : *it) {
          if (entry.is_object() && entry.value("name", json()) == "default" && entry.contains("template") &&
              entry["template"].is_string())
            return entry["template"].get<std::string>();
        }
        return std::string();  // only named templates; none is the default
      }
      return corrupt_file("tokenizer_config.json: \"chat_template\" must be a string or a list of templates");
    }
  }
  const fs::path jinja = fs::path(dir) / "chat_template.jinja";
  std::error_code ec;
  if (!fs::exists(jinja, ec)) return std::string();
  return mobiq::read_text_file(jinja.string());  // refuses a FIFO or a directory before reading
}

}  // namespace

struct HfCheckpoint::Impl {
  struct TensorRef {
    size_t shard = 0;
    const SafetensorsTensor* tensor = nullptr;  // into shards[shard].tensors(), whose buffer moves with it
    DType dtype = DType::kF32;
  };

  ModelConfig config;
  std::string dir;
  std::string config_json;
  std::string tokenizer_json;
  std::string tokenizer_config_json;
  std::vector<SafetensorsFile> shards;
  std::map<std::string, TensorRef> tensors;  // every tensor of every shard, by name

  Status add_shard(SafetensorsFile shard);
  Result<DenseTensor> dense(const std::string& name, const std::vector<int64_t>& expected_shape) const;
  Status reject_biases(int layer) const;
};

Status HfCheckpoint::Impl::add_shard(SafetensorsFile shard) {
  shards.push_back(std::move(shard));
  const size_t shard_index = shards.size() - 1;
  const SafetensorsFile& file = shards.back();
  for (const SafetensorsTensor& tensor : file.tensors()) {
    auto dtype = float_dtype_of(tensor);
    if (!dtype.ok()) return dtype.status().with_context(file.path());
    const auto [it, inserted] = tensors.emplace(tensor.name, TensorRef{shard_index, &tensor, *dtype});
    if (!inserted)
      return corrupt_file("tensor '" + tensor.name + "' is in both " + shards[it->second.shard].path() + " and " +
                          file.path());
  }
  return Status::Ok();
}

// A checked view: the tensor exists and its stored shape is exactly `expected_shape`. 1-D
// tensors come back as rows = 1.
Result<DenseTensor> HfCheckpoint::Impl::dense(const std::string& name,
                                              const std::vector<int64_t>& expected_shape) const {
  const auto it = tensors.find(name);
  if (it == tensors.end()) return not_found("tensor '" + name + "' is not in the checkpoint " + dir);
  const SafetensorsTensor& tensor = *it->second.tensor;
  if (tensor.shape != expected_shape)
    return corrupt_file("tensor '" + name + "' has shape " + shape_string(tensor.shape) + " but config.json implies " +
                        shape_string(expected_shape) + " (in " + shards[it->second.shard].path() + ")");
  return dense_view(tensor);
}

// The decoder has no projection biases (Qwen2-style q/k/v biases would be silently dropped).
Status HfCheckpoint::Impl::reject_biases(int layer) const {
  const std::string prefix = "model.layers." + std::to_string(layer) + ".";
  for (const char* proj : {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                           "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"}) {
    const std::string name = prefix + proj + ".bias";
    if (tensors.count(name) != 0) return unsupported("tensor '" + name + "': projection biases are not supported");
  }
  return Status::Ok();
}

HfCheckpoint::HfCheckpoint(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HfCheckpoint::HfCheckpoint(HfCheckpoint&&) noexcept = default;
HfCheckpoint& HfCheckpoint::operator=(HfCheckpoint&&) noexcept = default;
HfCheckpoint::~HfCheckpoint() = default;

Result<HfCheckpoint> HfCheckpoint::open(const std::string& dir) {
  const fs::path root(dir);
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;

  MOBIQ_ASSIGN_OR_RETURN(impl->config_json, read_text_file(root / kConfigFile));
  auto config = parse_hf_config(impl->config_json);
  if (!config.ok()) return config.status().with_context((root / kConfigFile).string());
  impl->config = std::move(config).value();
  MOBIQ_ASSIGN_OR_RETURN(impl->tokenizer_json, read_optional_text_file(root / kTokenizerFile));
  MOBIQ_ASSIGN_OR_RETURN(impl->tokenizer_config_json, read_optional_text_file(root / kTokenizerConfigFile));

  std::error_code ec;
  if (fs::exists(root / kSingleFile, ec)) {
    MOBIQ_ASSIGN_OR_RETURN(SafetensorsFile file, SafetensorsFile::open((root / kSingleFile).string()));
    MOBIQ_RETURN_IF_ERROR(impl->add_shard(std::move(file)));
  } else if (fs::exists(root / kIndexFile, ec)) {
    const std::string index_path = (root / kIndexFile).string();
    MOBIQ_ASSIGN_OR_RETURN(std::string index_text, read_text_file(index_path));
    auto index = parse_shard_index(index_text);
    if (!index.ok()) return index.status().with_context(index_path);
    for (const std::string& shard_file : index->shard_files) {
      MOBIQ_ASSIGN_OR_RETURN(SafetensorsFile file, SafetensorsFile::open((root / shard_file).string()));
      MOBIQ_RETURN_IF_ERROR(impl->add_shard(std::move(file)));
    }
    // The index must describe the shards truthfully: a tensor it lists lives in the shard it names.
    for (const auto& [tensor, shard_file] : index->shard_of_tensor) {
      const auto it = impl->tensors.find(tensor);
      if (it == impl->tensors.end() || fs::path(impl->shards[it->second.shard].path()).filename() != shard_file)
        return corrupt_file(index_path + ": lists tensor '" + tensor + "' in " + shard_file +
                            ", which does not hold it");
    }
  } else {
    return not_found("no " + std::string(kSingleFile) + " or " + kIndexFile + " in " + dir);
  }
  return HfCheckpoint(std::move(impl));
}

const ModelConfig& HfCheckpoint::config() const { return impl_->config; }
const std::string& HfCheckpoint::dir() const { return impl_->dir; }
std::string HfCheckpoint::config_json() const { return impl_->config_json; }
std::string HfCheckpoint::tokenizer_json() const { return impl_->tokenizer_json; }
std::string HfCheckpoint::tokenizer_config_json() const { return impl_->tokenizer_config_json; }
Result<std::string> HfCheckpoint::chat_template() const {
  return read_chat_template(impl_->dir, impl_->tokenizer_config_json);
}

std::vector<HfTensorInfo> HfCheckpoint::tensors() const {
  std::vector<HfTensorInfo> infos;
  infos.reserve(impl_->tensors.size());
  for (const auto& [name, ref] : impl_->tensors) infos.push_back({name, ref.dtype, ref.tensor->shape});
  return infos;
}

Result<DenseTensor> HfCheckpoint::tensor(const std::string& name) const {
  const auto it = impl_->tensors.find(name);
  if (it == impl_->tensors.end()) return not_found("tensor '" + name + "' is not in the checkpoint " + impl_->dir);
  return dense_view(*it->second.tensor);
}

// Q and K projections are kept exactly as stored. Hugging Face's Llama conversion permuted their
// rows so that RoPE rotates dimension i with i + head_dim/2 (the "rotate_half" convention), not
// adjacent pairs as in Meta's original checkpoints; the engine applies RoPE in that same
// rotate_half convention, so no un-permuting happens here.
Result<ModelWeights> HfCheckpoint::weights() const {
  const ModelConfig& c = impl_->config;
  const int64_t hidden = c.hidden_size, inter = c.intermediate_size, vocab = c.vocab_size;
  const int64_t q_dim = c.q_dim(), kv_dim = c.kv_dim();
  const Impl& m = *impl_;

  ModelWeights w;
  MOBIQ_ASSIGN_OR_RETURN(w.token_embedding, m.dense("model.embed_tokens.weight", {vocab, hidden}));
  MOBIQ_ASSIGN_OR_RETURN(w.final_norm, m.dense("model.norm.weight", {hidden}));
  if (c.tie_embeddings) {
    w.output = w.token_embedding;  // a stored lm_head.weight, if any, is ignored, as transformers does
  } else {
    if (m.tensors.count("lm_head.weight") == 0)
      return not_found("tensor 'lm_head.weight' is not in the checkpoint " + m.dir +
                       " and config.json does not set tie_word_embeddings");
    MOBIQ_ASSIGN_OR_RETURN(w.output, m.dense("lm_head.weight", {vocab, hidden}));
  }

  w.layers.resize(static_cast<size_t>(c.n_layers));
  for (int i = 0; i < c.n_layers; ++i) {
    MOBIQ_RETURN_IF_ERROR(m.reject_biases(i));
    const std::string p = "model.layers." + std::to_string(i) + ".";
    LayerWeights& l = w.layers[static_cast<size_t>(i)];
    MOBIQ_ASSIGN_OR_RETURN(l.attn_norm, m.dense(p + "input_layernorm.weight", {hidden}));
    MOBIQ_ASSIGN_OR_RETURN(l.ffn_norm, m.dense(p + "post_attention_layernorm.weight", {hidden}));
    MOBIQ_ASSIGN_OR_RETURN(l.q.dense, m.dense(p + "self_attn.q_proj.weight", {q_dim, hidden}));
    MOBIQ_ASSIGN_OR_RETURN(l.k.dense, m.dense(p + "self_attn.k_proj.weight", {kv_dim, hidden}));
    MOBIQ_ASSIGN_OR_RETURN(l.v.dense, m.dense(p + "self_attn.v_proj.weight", {kv_dim, hidden}));
    MOBIQ_ASSIGN_OR_RETURN(l.o.dense, m.dense(p + "self_attn.o_proj.weight", {hidden, q_dim}));
    MOBIQ_ASSIGN_OR_RETURN(l.gate.dense, m.dense(p + "mlp.gate_proj.weight", {inter, hidden}));
    MOBIQ_ASSIGN_OR_RETURN(l.up.dense, m.dense(p + "mlp.up_proj.weight", {inter, hidden}));
    MOBIQ_ASSIGN_OR_RETURN(l.down.dense, m.dense(p + "mlp.down_proj.weight", {hidden, inter}));
  }
  return w;
}

}  // namespace mobiq
