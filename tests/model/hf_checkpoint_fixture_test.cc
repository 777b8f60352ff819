// The real fixture-a checkpoint from ../shared: a sharded bf16 Llama with tied embeddings.
#include <gtest/gtest.h>

#include <cmath>

#include "runtime/core/half.h"
#include "runtime/model/hf_checkpoint.h"
#include "tests/support/shared_data.h"

namespace mobiq {
namespace {

TEST(HfCheckpointFixtureTest, OpensFixtureA) {
  MOBIQ_REQUIRE_SHARED();
  auto checkpoint = HfCheckpoint::open(test::fixture_a_dir().string());
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().to_string();

  const ModelConfig& c = checkpoint->config();
  EXPECT_EQ(c.vocab_size, 32000);
  EXPECT_EQ(c.hidden_size, 384);
  EXPECT_EQ(c.n_layers, 6);
  EXPECT_EQ(c.n_heads, 6);
  EXPECT_EQ(c.n_kv_heads, 2);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.intermediate_size, 1024);
  EXPECT_TRUE(c.tie_embeddings);
  EXPECT_FLOAT_EQ(c.rms_norm_eps, 1e-5f);
  EXPECT_FLOAT_EQ(c.rope_theta, 10000.0f);
  EXPECT_EQ(c.rope_scaling.type, RopeScalingType::kNone);
  EXPECT_EQ(c.bos_id, 1);
  EXPECT_EQ(c.eos_ids, std::vector<int32_t>{2});
  EXPECT_FALSE(checkpoint->tokenizer_json().empty());
  EXPECT_FALSE(checkpoint->tokenizer_config_json().empty());

  auto weights = checkpoint->weights();
  ASSERT_TRUE(weights.ok()) << weights.status().to_string();
  const DenseTensor& embedding = weights->token_embedding;
  EXPECT_EQ(embedding.dtype, DType::kBF16);
  EXPECT_EQ(embedding.rows, 32000);
  EXPECT_EQ(embedding.cols, 384);
  EXPECT_EQ(weights->output.data, embedding.data);  // tied
  ASSERT_EQ(weights->layers.size(), 6u);
  EXPECT_EQ(weights->layers[5].k.dense.rows, 128);  // 2 kv heads * 64
  EXPECT_EQ(weights->layers[5].o.dense.cols, 384);

  // A trained embedding: finite values that are not all zero (the view points at real data).
  const auto* bits = static_cast<const uint16_t*>(embedding.data);
  double sum_sq = 0;
  for (int64_t i = 0; i < embedding.rows * embedding.cols; i += 97) {
    const float v = bf16_to_f32(bits[i]);
    ASSERT_TRUE(std::isfinite(v)) << "element " << i;
    sum_sq += static_cast<double>(v) * v;
  }
  EXPECT_GT(sum_sq, 0.0);
}

}  // namespace
}  // namespace mobiq
