// parse_hf_config: a Hugging Face config.json (LlamaForCausalLM and relatives) -> ModelConfig.
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "runtime/model/hf_checkpoint.h"

namespace mobiq {
namespace {

using nlohmann::json;

// A key that is absent or explicitly null counts as not given.
const json* find_key(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

Result<int32_t> to_int32(const json& value, const std::string& key) {
  if (!value.is_number_integer()) return corrupt_file("config key \"" + key + "\" must be an integer");
  const int64_t v = value.get<int64_t>();
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
    return corrupt_file("config key \"" + key + "\" is out of range: " + std::to_string(v));
  return static_cast<int32_t>(v);
}

Result<float> to_float(const json& value, const std::string& key) {
  if (!value.is_number()) return corrupt_file("config key \"" + key + "\" must be a number");
  return value.get<float>();
}

Result<int32_t> required_int(const json& object, const char* key) {
  const json* value = find_key(object, key);
  if (value == nullptr) return not_found(std::string("config key \"") + key + "\" is missing");
  return to_int32(*value, key);
}

Result<int32_t> optional_int(const json& object, const char* key, int32_t fallback) {
  const json* value = find_key(object, key);
  if (value == nullptr) return fallback;
  return to_int32(*value, key);
}

Result<float> optional_float(const json& object, const char* key, float fallback) {
  const json* value = find_key(object, key);
  if (value == nullptr) return fallback;
  return to_float(*value, key);
}

Result<float> required_float(const json& object, const char* key, const std::string& prefix = "") {
  const json* value = find_key(object, key);
  if (value == nullptr) return not_found("config key \"" + prefix + key + "\" is missing");
  return to_float(*value, prefix + key);
}

Status require_positive(int64_t value, const char* key) {
  if (value <= 0) return corrupt_file(std::string("config key \"") + key + "\" must be positive, got " +
                                      std::to_string(value));
  return Status::Ok();
}

// rope_scaling: null, {"rope_type"|"type": "linear", "factor"} or the Llama 3.1 frequency-band scheme.
Result<RopeScaling> parse_rope_scaling(const json& scaling, const std::string& key) {
  if (!scaling.is_object()) return corrupt_file("config key \"" + key + "\" must be an object or null");
  const json* type_value = find_key(scaling, "rope_type");
  if (type_value == nullptr) type_value = find_key(scaling, "type");
  if (type_value == nullptr) return not_found("config key \"" + key + ".rope_type\" is missing");
  if (!type_value->is_string()) return corrupt_file("config key \"" + key + ".rope_type\" must be a string");
  const std::string type = type_value->get<std::string>();

  RopeScaling rope;
  if (type == "default") return rope;  // transformers' name for plain RoPE
  const std::string prefix = key + ".";
  if (type == "linear") {
    rope.type = RopeScalingType::kLinear;
    MOBIQ_ASSIGN_OR_RETURN(rope.factor, required_float(scaling, "factor", prefix));
  } else if (type == "llama3") {
    rope.type = RopeScalingType::kLlama3;
    MOBIQ_ASSIGN_OR_RETURN(rope.factor, required_float(scaling, "factor", prefix));
    MOBIQ_ASSIGN_OR_RETURN(rope.low_freq_factor, required_float(scaling, "low_freq_factor", prefix));
    MOBIQ_ASSIGN_OR_RETURN(rope.high_freq_factor, required_float(scaling, "high_freq_factor", prefix));
    const json* original = find_key(scaling, "original_max_position_embeddings");
    if (original == nullptr)
      return not_found("config key \"" + prefix + "original_max_position_embeddings\" is missing");
    MOBIQ_ASSIGN_OR_RETURN(rope.original_max_position,
                           to_int32(*original, prefix + "original_max_position_embeddings"));
    if (!(rope.low_freq_factor > 0.0f) || !(rope.high_freq_factor > rope.low_freq_factor))
      return corrupt_file("config key \"" + key + "\": need 0 < low_freq_factor < high_freq_factor");
    if (rope.original_max_position <= 0)
      return corrupt_file("config key \"" + prefix + "original_max_position_embeddings\" must be positive");
  } else {
    return unsupported("config key \"" + key + "\": rope scaling type '" + type +
                       "' is not supported (supported: linear, llama3)");
  }
  if (!(rope.factor > 0.0f) || !std::isfinite(rope.factor))
    return corrupt_file("config key \"" + prefix + "factor\" must be a positive number");
  return rope;
}

// eos_token_id: one id, a list of ids, or null.
Result<std::vector<int32_t>> parse_eos_ids(const json& config) {
  const json* value = find_key(config, "eos_token_id");
  if (value == nullptr) return std::vector<int32_t>{};
  std::vector<int32_t> ids;
  if (value->is_array()) {
    for (const auto& id : *value) {
      MOBIQ_ASSIGN_OR_RETURN(int32_t v, to_int32(id, "eos_token_id"));
      ids.push_back(v);
    }
  } else {
    MOBIQ_ASSIGN_OR_RETURN(int32_t v, to_int32(*value, "eos_token_id"));
    ids.push_back(v);
  }
  return ids;
}

// Features of relatives of Llama that this decoder does not implement: refuse them rather than
// silently computing something else.
Status reject_unsupported_features(const json& config, int32_t max_position) {
  for (const char* key : {"attention_bias", "mlp_bias"}) {
    const json* value = find_key(config, key);
    if (value != nullptr && value->is_boolean() && value->get<bool>())
      return unsupported(std::string("config key \"") + key + "\" is true; biased projections are not supported");
  }
  if (const json* act = find_key(config, "hidden_act"); act != nullptr) {
    if (!act->is_string() || act->get<std::string>() != "silu")
      return unsupported("config key \"hidden_act\" is " + act->dump() + "; only \"silu\" (SwiGLU) is supported");
  }
  const json* use_window = find_key(config, "use_sliding_window");
  const bool window_off = use_window != nullptr && use_window->is_boolean() && !use_window->get<bool>();
  if (const json* window = find_key(config, "sliding_window"); window != nullptr && !window_off) {
    MOBIQ_ASSIGN_OR_RETURN(int32_t w, to_int32(*window, "sliding_window"));
    if (w < max_position)
      return unsupported("config key \"sliding_window\" is " + std::to_string(w) +
                         "; sliding-window attention is not supported");
  }
  return Status::Ok();
}

Result<ModelConfig> parse_config_object(const json& config) {
  if (!config.is_object()) return corrupt_file("config.json is not a JSON object");
  ModelConfig c;
  MOBIQ_ASSIGN_OR_RETURN(c.vocab_size, required_int(config, "vocab_size"));
  MOBIQ_ASSIGN_OR_RETURN(c.hidden_size, required_int(config, "hidden_size"));
  MOBIQ_ASSIGN_OR_RETURN(c.intermediate_size, required_int(config, "intermediate_size"));
  MOBIQ_ASSIGN_OR_RETURN(c.n_layers, required_int(config, "num_hidden_layers"));
  MOBIQ_ASSIGN_OR_RETURN(c.n_heads, required_int(config, "num_attention_heads"));
  MOBIQ_RETURN_IF_ERROR(require_positive(c.vocab_size, "vocab_size"));
  MOBIQ_RETURN_IF_ERROR(require_positive(c.hidden_size, "hidden_size"));
  MOBIQ_RETURN_IF_ERROR(require_positive(c.intermediate_size, "intermediate_size"));
  MOBIQ_RETURN_IF_ERROR(require_positive(c.n_layers, "num_hidden_layers"));
  MOBIQ_RETURN_IF_ERROR(require_positive(c.n_heads, "num_attention_heads"));

  // Absent: multi-head attention (one KV head per query head).
  MOBIQ_ASSIGN_OR_RETURN(c.n_kv_heads, optional_int(config, "num_key_value_heads", c.n_heads));
  MOBIQ_RETURN_IF_ERROR(require_positive(c.n_kv_heads, "num_key_value_heads"));
  if (c.n_heads % c.n_kv_heads != 0)
    return corrupt_file("config key \"num_attention_heads\" (" + std::to_string(c.n_heads) +
                        ") is not a multiple of \"num_key_value_heads\" (" + std::to_string(c.n_kv_heads) + ")");

  if (find_key(config, "head_dim") != nullptr) {
    MOBIQ_ASSIGN_OR_RETURN(c.head_dim, required_int(config, "head_dim"));
    MOBIQ_RETURN_IF_ERROR(require_positive(c.head_dim, "head_dim"));
  } else {
    if (c.hidden_size % c.n_heads != 0)
      return corrupt_file("config key \"hidden_size\" (" + std::to_string(c.hidden_size) +
                          ") is not a multiple of \"num_attention_heads\" (" + std::to_string(c.n_heads) +
                          ") and there is no \"head_dim\"");
    c.head_dim = c.hidden_size / c.n_heads;
  }
  if (c.head_dim % 2 != 0)  // RoPE rotates pairs of dimensions
    return corrupt_file("config key \"head_dim\" must be even for rotary embeddings, got " +
                        std::to_string(c.head_dim));

  MOBIQ_ASSIGN_OR_RETURN(c.rms_norm_eps, required_float(config, "rms_norm_eps"));
  if (!(c.rms_norm_eps > 0.0f)) return corrupt_file("config key \"rms_norm_eps\" must be positive");

  // Newer transformers releases group the RoPE settings under "rope_parameters".
  const json* rope_parameters = find_key(config, "rope_parameters");
  if (rope_parameters != nullptr && !rope_parameters->is_object())
    return corrupt_file("config key \"rope_parameters\" must be an object");
  if (find_key(config, "rope_theta") != nullptr) {
    MOBIQ_ASSIGN_OR_RETURN(c.rope_theta, required_float(config, "rope_theta"));
  } else if (rope_parameters != nullptr) {
    MOBIQ_ASSIGN_OR_RETURN(c.rope_theta, optional_float(*rope_parameters, "rope_theta", 10000.0f));
  }
  if (!(c.rope_theta > 0.0f)) return corrupt_file("config key \"rope_theta\" must be positive");
  if (const json* scaling = find_key(config, "rope_scaling"); scaling != nullptr) {
    MOBIQ_ASSIGN_OR_RETURN(c.rope_scaling, parse_rope_scaling(*scaling, "rope_scaling"));
  } else if (rope_parameters != nullptr) {
    MOBIQ_ASSIGN_OR_RETURN(c.rope_scaling, parse_rope_scaling(*rope_parameters, "rope_parameters"));
  }

  MOBIQ_ASSIGN_OR_RETURN(c.max_position, required_int(config, "max_position_embeddings"));
  MOBIQ_RETURN_IF_ERROR(require_positive(c.max_position, "max_position_embeddings"));

  if (const json* tie = find_key(config, "tie_word_embeddings"); tie != nullptr) {
    if (!tie->is_boolean()) return corrupt_file("config key \"tie_word_embeddings\" must be true or false");
    c.tie_embeddings = tie->get<bool>();
  }
  // Absent or null: the model has no BOS of its own (the tokenizer's may still apply).
  MOBIQ_ASSIGN_OR_RETURN(c.bos_id, optional_int(config, "bos_token_id", -1));
  MOBIQ_ASSIGN_OR_RETURN(c.eos_ids, parse_eos_ids(config));

  MOBIQ_RETURN_IF_ERROR(reject_unsupported_features(config, c.max_position));
  return c;
}

}  // namespace

Result<ModelConfig> parse_hf_config(const std::string& config_json) {
  json config;
  try {
    config = json::parse(config_json);
  } catch (const json::exception& e) {
    return corrupt_file(std::string("config.json is not valid JSON: ") + e.what());
  }
  // get<>() on a value whose type was checked does not throw; the guard is for what the checks miss.
  try {
    return parse_config_object(config);
  } catch (const json::exception& e) {
    return corrupt_file(std::string("config.json: ") + e.what());
  }
}

}  // namespace mobiq
