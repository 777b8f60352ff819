// Hyper-parameters of a LLaMA-family decoder, as read from a Hugging Face config.json or a .mbq file.
#pragma once

#include <cstdint>
#include <vector>

namespace mobiq {

enum class RopeScalingType : uint8_t { kNone = 0, kLinear = 1, kLlama3 = 2 };

struct RopeScaling {
  RopeScalingType type = RopeScalingType::kNone;
  float factor = 1.0f;                 // linear and llama3: how much longer the context is
  float low_freq_factor = 1.0f;        // llama3 only
  float high_freq_factor = 4.0f;       // llama3 only
  int32_t original_max_position = 8192;  // llama3 only: the pre-training context length
};

struct ModelConfig {
  int32_t vocab_size = 0;
  int32_t hidden_size = 0;         // d_model
  int32_t intermediate_size = 0;   // SwiGLU hidden width
  int32_t n_layers = 0;
  int32_t n_heads = 0;             // query heads
  int32_t n_kv_heads = 0;          // key/value heads (== n_heads: MHA, 1: MQA, else GQA)
  int32_t head_dim = 0;            // usually hidden_size / n_heads, explicit in some configs
  float rms_norm_eps = 1e-5f;
  float rope_theta = 10000.0f;
  RopeScaling rope_scaling;
  int32_t max_position = 2048;     // the longest context the model was trained for
  bool tie_embeddings = false;     // output head shares the token embedding matrix
  int32_t bos_id = 1;
  std::vector<int32_t> eos_ids;    // generation stops at any of these

  int32_t q_dim() const { return n_heads * head_dim; }
  int32_t kv_dim() const { return n_kv_heads * head_dim; }
};

}  // namespace mobiq
