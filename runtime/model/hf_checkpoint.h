// An unquantized Hugging Face LLaMA-family checkpoint on disk: config.json, one model.safetensors or
// shards listed in model.safetensors.index.json, tokenizer.json and tokenizer_config.json.
// Safetensors files are mmapped; tensors are views into the mappings (nothing is copied).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "format/model_config.h"
#include "format/model_weights.h"
#include "runtime/core/result.h"

namespace mobiq {

// Parses a Hugging Face config.json text (LlamaForCausalLM and relatives: Mistral, Qwen2-style
// names are accepted where the meaning is the same). Errors name the missing or bad key.
Result<ModelConfig> parse_hf_config(const std::string& config_json);

struct HfTensorInfo {
  std::string name;             // "model.layers.0.self_attn.q_proj.weight"
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;   // as stored, e.g. {out, in} for a linear
};

class HfCheckpoint {
 public:
  // Opens and validates the checkpoint: config, every shard's header, every tensor's bounds.
  static Result<HfCheckpoint> open(const std::string& dir);

  HfCheckpoint(HfCheckpoint&&) noexcept;
  HfCheckpoint& operator=(HfCheckpoint&&) noexcept;
  ~HfCheckpoint();

  const ModelConfig& config() const;
  const std::string& dir() const;
  std::string config_json() const;          // config.json as read
  std::string tokenizer_json() const;       // tokenizer.json, empty if the file is absent
  std::string tokenizer_config_json() const;  // tokenizer_config.json, empty if absent
  // tokenizer_config.json's "chat_template" (a string, or the "default" of a list), else the
  // chat_template.jinja file beside it, else empty.
  Result<std::string> chat_template() const;

  std::vector<HfTensorInfo> tensors() const;
  // A 1-D tensor becomes rows = 1; more than 2 dimensions is kUnsupported.
  Result<DenseTensor> tensor(const std::string& name) const;

  // Dense views of every weight the forward pass needs, checked against config(): shapes, a missing
  // tensor, and (for untied models) lm_head.weight. Views stay valid while *this lives.
  Result<ModelWeights> weights() const;

 private:
  struct Impl;
  explicit HfCheckpoint(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mobiq
