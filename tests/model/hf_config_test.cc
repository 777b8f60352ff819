#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "runtime/model/hf_checkpoint.h"
#include "tests/model/test_checkpoint_writer.h"

namespace mobiq {
namespace {

using nlohmann::json;

json base_config() { return test::TinyLlama{}.config(); }

Result<ModelConfig> parse(const json& config) { return parse_hf_config(config.dump()); }

TEST(HfConfigTest, ParsesEveryField) {
  json j = base_config();
  j["eos_token_id"] = json::array({2, 7});
  j["bos_token_id"] = 5;
  j["tie_word_embeddings"] = true;
  auto c = parse(j);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->vocab_size, j["vocab_size"].get<int>());
  EXPECT_EQ(c->hidden_size, j["hidden_size"].get<int>());
  EXPECT_EQ(c->intermediate_size, j["intermediate_size"].get<int>());
  EXPECT_EQ(c->n_layers, j["num_hidden_layers"].get<int>());
  EXPECT_EQ(c->n_heads, j["num_attention_heads"].get<int>());
  EXPECT_EQ(c->n_kv_heads, j["num_key_value_heads"].get<int>());
  EXPECT_EQ(c->head_dim, j["hidden_size"].get<int>() / j["num_attention_heads"].get<int>());
  EXPECT_FLOAT_EQ(c->rms_norm_eps, j["rms_norm_eps"].get<float>());
  EXPECT_FLOAT_EQ(c->rope_theta, j["rope_theta"].get<float>());
  EXPECT_EQ(c->rope_scaling.type, RopeScalingType::kNone);
  EXPECT_EQ(c->max_position, j["max_position_embeddings"].get<int>());
  EXPECT_TRUE(c->tie_embeddings);
  EXPECT_EQ(c->bos_id, 5);
  EXPECT_EQ(c->eos_ids, (std::vector<int32_t>{2, 7}));
}

TEST(HfConfigTest, DefaultsForOptionalKeys) {
  json j = base_config();
  for (const char* key : {"num_key_value_heads", "head_dim", "rope_theta", "rope_scaling", "tie_word_embeddings",
                          "bos_token_id", "eos_token_id"})
    j.erase(key);
  auto c = parse(j);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->n_kv_heads, c->n_heads);  // MHA
  EXPECT_EQ(c->head_dim, c->hidden_size / c->n_heads);
  EXPECT_FLOAT_EQ(c->rope_theta, 10000.0f);
  EXPECT_FALSE(c->tie_embeddings);
  EXPECT_EQ(c->bos_id, -1);
  EXPECT_TRUE(c->eos_ids.empty());
}

TEST(HfConfigTest, SingleKvHeadIsMultiQuery) {
  json j = base_config();
  j["num_key_value_heads"] = 1;
  auto c = parse(j);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->n_kv_heads, 1);
  EXPECT_EQ(c->kv_dim(), c->head_dim);
}

TEST(HfConfigTest, ExplicitHeadDimOverridesHiddenOverHeads) {
  json j = base_config();
  j["head_dim"] = 10;  // hidden 16 / 4 heads would give 4
  auto c = parse(j);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->head_dim, 10);
  EXPECT_EQ(c->q_dim(), 40);
}

TEST(HfConfigTest, LinearRopeScalingUnderEitherTypeKey) {
  for (const char* type_key : {"type", "rope_type"}) {
    json j = base_config();
    j["rope_scaling"] = {{type_key, "linear"}, {"factor", 2.5}};
    auto c = parse(j);
    ASSERT_TRUE(c.ok()) << type_key << ": " << c.status().to_string();
    EXPECT_EQ(c->rope_scaling.type, RopeScalingType::kLinear);
    EXPECT_FLOAT_EQ(c->rope_scaling.factor, 2.5f);
  }
}

TEST(HfConfigTest, Llama3RopeScaling) {
  json j = base_config();
  j["rope_scaling"] = {{"rope_type", "llama3"},
                       {"factor", 32.0},
                       {"low_freq_factor", 1.5},
                       {"high_freq_factor", 6.0},
                       {"original_max_position_embeddings", 4096}};
  auto c = parse(j);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->rope_scaling.type, RopeScalingType::kLlama3);
  EXPECT_FLOAT_EQ(c->rope_scaling.factor, 32.0f);
  EXPECT_FLOAT_EQ(c->rope_scaling.low_freq_factor, 1.5f);
  EXPECT_FLOAT_EQ(c->rope_scaling.high_freq_factor, 6.0f);
  EXPECT_EQ(c->rope_scaling.original_max_position, 4096);
}

TEST(HfConfigTest, Llama3RopeScalingMissingFieldNamesIt) {
  json j = base_config();
  j["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0}, {"high_freq_factor", 4.0}};
  auto c = parse(j);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("original_max_position_embeddings"), std::string::npos)
      << c.status().to_string();
}

TEST(HfConfigTest, RopeParametersBlockOfNewerTransformers) {
  json j = base_config();
  j.erase("rope_theta");
  j.erase("rope_scaling");
  j["rope_parameters"] = {{"rope_type", "linear"}, {"factor", 4.0}, {"rope_theta", 1234.0}};
  auto c = parse(j);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_FLOAT_EQ(c->rope_theta, 1234.0f);
  EXPECT_EQ(c->rope_scaling.type, RopeScalingType::kLinear);
  EXPECT_FLOAT_EQ(c->rope_scaling.factor, 4.0f);
}

TEST(HfConfigTest, OtherRopeScalingTypesAreUnsupportedByName) {
  for (const char* type : {"yarn", "dynamic", "longrope"}) {
    json j = base_config();
    j["rope_scaling"] = {{"rope_type", type}, {"factor", 2.0}};
    auto c = parse(j);
    ASSERT_FALSE(c.ok()) << type;
    EXPECT_EQ(c.status().code(), ErrorCode::kUnsupported);
    EXPECT_NE(c.status().message().find(type), std::string::npos) << c.status().to_string();
  }
}

TEST(HfConfigTest, MissingRequiredKeyIsNamed) {
  for (const char* key : {"vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                          "num_attention_heads", "rms_norm_eps", "max_position_embeddings"}) {
    json j = base_config();
    j.erase(key);
    auto c = parse(j);
    ASSERT_FALSE(c.ok()) << key;
    EXPECT_EQ(c.status().code(), ErrorCode::kNotFound) << key;
    EXPECT_NE(c.status().message().find(key), std::string::npos) << c.status().to_string();
  }
}

TEST(HfConfigTest, WrongTypeIsNamed) {
  json j = base_config();
  j["hidden_size"] = "16";
  auto c = parse(j);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("hidden_size"), std::string::npos) << c.status().to_string();

  j = base_config();
  j["tie_word_embeddings"] = 1;
  c = parse(j);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("tie_word_embeddings"), std::string::npos) << c.status().to_string();
}

TEST(HfConfigTest, NonPositiveSizesAreRejected) {
  for (const char* key : {"vocab_size", "hidden_size", "num_hidden_layers", "num_key_value_heads", "head_dim"}) {
    json j = base_config();
    j[key] = 0;
    auto c = parse(j);
    ASSERT_FALSE(c.ok()) << key;
    EXPECT_NE(c.status().message().find(key), std::string::npos) << c.status().to_string();
  }
}

TEST(HfConfigTest, HeadsMustBeMultipleOfKvHeads) {
  json j = base_config();
  j["num_key_value_heads"] = 3;  // 4 heads
  auto c = parse(j);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("num_key_value_heads"), std::string::npos) << c.status().to_string();
}

TEST(HfConfigTest, HiddenMustSplitIntoHeadsWithoutHeadDim) {
  json j = base_config();
  j["num_attention_heads"] = 3;
  j["num_key_value_heads"] = 3;
  auto c = parse(j);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("head_dim"), std::string::npos) << c.status().to_string();
}

TEST(HfConfigTest, FeaturesTheDecoderLacksAreUnsupported) {
  const std::vector<std::pair<std::string, json>> cases = {
      {"attention_bias", true}, {"mlp_bias", true}, {"hidden_act", "gelu"}, {"sliding_window", 64}};
  for (const auto& [key, value] : cases) {
    json j = base_config();
    j[key] = value;
    auto c = parse(j);
    ASSERT_FALSE(c.ok()) << key;
    EXPECT_EQ(c.status().code(), ErrorCode::kUnsupported) << key;
    EXPECT_NE(c.status().message().find(key), std::string::npos) << c.status().to_string();
  }
  json j = base_config();
  j["sliding_window"] = 64;
  j["use_sliding_window"] = false;  // Qwen2-style: present but off
  EXPECT_TRUE(parse(j).ok());
}

TEST(HfConfigTest, InvalidJsonIsCorruptFile) {
  auto c = parse_hf_config("{\"vocab_size\": 32000,");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kCorruptFile);
  c = parse_hf_config("[1, 2]");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kCorruptFile);
}

}  // namespace
}  // namespace mobiq
