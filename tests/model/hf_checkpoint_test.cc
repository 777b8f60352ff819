#include "runtime/model/hf_checkpoint.h"

#include <gtest/gtest.h>

#include "tests/model/test_checkpoint_writer.h"

namespace mobiq {
namespace {

using test::TempDir;
using test::TinyLlama;

// Every element of `view` equals the formula the writer used for the tensor called `name`.
void expect_values(const DenseTensor& view, const std::vector<test::TestTensor>& written, const std::string& name) {
  const int seed = test::seed_of(written, name);
  ASSERT_GE(seed, 0) << name;
  const int64_t count = view.rows * view.cols;
  ASSERT_EQ(count * dtype_size(view.dtype), static_cast<int64_t>(written[static_cast<size_t>(seed)].bytes.size()))
      << name;
  for (int64_t i = 0; i < count; ++i) ASSERT_EQ(test::read_element(view, i), test::test_value(seed, i)) << name;
}

void expect_shape(const DenseTensor& t, int64_t rows, int64_t cols, const std::string& what) {
  EXPECT_EQ(t.rows, rows) << what;
  EXPECT_EQ(t.cols, cols) << what;
}

// Opens `model` written as one file (shards == 0) or as `shards` files with an index, and checks
// that weights() returns every tensor with the configured shape, dtype and contents.
void check_round_trip(const TinyLlama& model, int shards) {
  TempDir dir("rt");
  const auto written = model.tensors();
  test::write_config(dir.path(), model.config());
  if (shards == 0) {
    test::write_single_file(dir.path(), written);
  } else {
    test::write_sharded(dir.path(), written, shards);
  }
  auto checkpoint = HfCheckpoint::open(dir.str());
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().to_string();
  EXPECT_EQ(checkpoint->tensors().size(), written.size());
  auto weights = checkpoint->weights();
  ASSERT_TRUE(weights.ok()) << weights.status().to_string();

  const ModelConfig& c = checkpoint->config();
  const DType dtype = model.dtype == "F32" ? DType::kF32 : model.dtype == "F16" ? DType::kF16 : DType::kBF16;
  const int64_t q_dim = model.heads * model.effective_head_dim();
  const int64_t kv_dim = model.effective_kv_heads() * model.effective_head_dim();
  EXPECT_EQ(c.q_dim(), q_dim);
  EXPECT_EQ(c.kv_dim(), kv_dim);

  const ModelWeights& w = *weights;
  EXPECT_EQ(w.token_embedding.dtype, dtype);
  expect_shape(w.token_embedding, model.vocab, model.hidden, "embedding");
  expect_values(w.token_embedding, written, "model.embed_tokens.weight");
  expect_shape(w.final_norm, 1, model.hidden, "final norm");
  expect_values(w.final_norm, written, "model.norm.weight");
  expect_shape(w.output, model.vocab, model.hidden, "output");
  if (model.tied) {
    EXPECT_EQ(w.output.data, w.token_embedding.data);
  } else {
    EXPECT_NE(w.output.data, w.token_embedding.data);
    expect_values(w.output, written, "lm_head.weight");
  }

  ASSERT_EQ(w.layers.size(), static_cast<size_t>(model.layers));
  for (int i = 0; i < model.layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    const LayerWeights& l = w.layers[static_cast<size_t>(i)];
    const std::vector<std::tuple<const DenseTensor*, std::string, int64_t, int64_t>> expected = {
        {&l.attn_norm, "input_layernorm.weight", 1, model.hidden},
        {&l.ffn_norm, "post_attention_layernorm.weight", 1, model.hidden},
        {&l.q.dense, "self_attn.q_proj.weight", q_dim, model.hidden},
        {&l.k.dense, "self_attn.k_proj.weight", kv_dim, model.hidden},
        {&l.v.dense, "self_attn.v_proj.weight", kv_dim, model.hidden},
        {&l.o.dense, "self_attn.o_proj.weight", model.hidden, q_dim},
        {&l.gate.dense, "mlp.gate_proj.weight", model.inter, model.hidden},
        {&l.up.dense, "mlp.up_proj.weight", model.inter, model.hidden},
        {&l.down.dense, "mlp.down_proj.weight", model.hidden, model.inter},
    };
    for (const auto& [view, suffix, rows, cols] : expected) {
      EXPECT_EQ(view->dtype, dtype) << p + suffix;
      expect_shape(*view, rows, cols, p + suffix);
      expect_values(*view, written, p + suffix);
    }
    EXPECT_FALSE(l.q.is_sliced());
  }
}

TEST(HfCheckpointTest, SingleFileF32Untied) { check_round_trip(TinyLlama{}, 0); }

TEST(HfCheckpointTest, SingleFileF16Tied) {
  TinyLlama m;
  m.dtype = "F16";
  m.tied = true;
  check_round_trip(m, 0);
}

TEST(HfCheckpointTest, ShardedBF16Untied) {
  TinyLlama m;
  m.dtype = "BF16";
  check_round_trip(m, 3);
}

TEST(HfCheckpointTest, ShardedF32TiedMultiQuery) {
  TinyLlama m;
  m.kv_heads = 1;
  m.tied = true;
  check_round_trip(m, 2);
}

TEST(HfCheckpointTest, MultiHeadWhenKvHeadsAbsent) {
  TinyLlama m;
  m.kv_heads = 0;
  check_round_trip(m, 0);
}

TEST(HfCheckpointTest, ExplicitHeadDim) {
  TinyLlama m;
  m.head_dim = 6;  // q: 4 * 6 = 24 rows over a hidden size of 16
  m.dtype = "BF16";
  check_round_trip(m, 2);
}

TEST(HfCheckpointTest, TensorViewAndListing) {
  TempDir dir("view");
  TinyLlama m;
  const auto written = m.tensors();
  test::write_config(dir.path(), m.config());
  test::write_single_file(dir.path(), written);
  auto checkpoint = HfCheckpoint::open(dir.str());
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().to_string();
  EXPECT_EQ(checkpoint->config().vocab_size, m.vocab);
  EXPECT_EQ(checkpoint->dir(), dir.str());
  EXPECT_NE(checkpoint->config_json().find("LlamaForCausalLM"), std::string::npos);
  EXPECT_TRUE(checkpoint->tokenizer_json().empty());

  auto norm = checkpoint->tensor("model.norm.weight");
  ASSERT_TRUE(norm.ok()) << norm.status().to_string();
  expect_shape(*norm, 1, m.hidden, "norm");
  expect_values(*norm, written, "model.norm.weight");
  auto missing = checkpoint->tensor("model.nonexistent.weight");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);

  for (const HfTensorInfo& info : checkpoint->tensors()) {
    const int seed = test::seed_of(written, info.name);
    ASSERT_GE(seed, 0) << info.name;
    EXPECT_EQ(info.shape, written[static_cast<size_t>(seed)].shape) << info.name;
    EXPECT_EQ(info.dtype, DType::kF32);
  }
}

// Writes `model` with `edit` applied to its tensors and returns the error weights() or open() gives.
template <typename Edit>
Status failure_of(TinyLlama model, Edit edit) {
  TempDir dir("fail");
  auto tensors = model.tensors();
  edit(tensors);
  test::write_config(dir.path(), model.config());
  test::write_single_file(dir.path(), tensors);
  auto checkpoint = HfCheckpoint::open(dir.str());
  if (!checkpoint.ok()) return checkpoint.status();
  auto weights = checkpoint->weights();
  return weights.ok() ? Status::Ok() : weights.status();
}

void expect_failure(const Status& status, ErrorCode code, const std::string& needle) {
  ASSERT_FALSE(status.ok()) << "expected an error mentioning '" << needle << "'";
  EXPECT_EQ(status.code(), code) << status.to_string();
  EXPECT_NE(status.message().find(needle), std::string::npos) << status.to_string();
}

void erase_tensor(std::vector<test::TestTensor>& tensors, const std::string& name) {
  std::erase_if(tensors, [&](const test::TestTensor& t) { return t.name == name; });
}

TEST(HfCheckpointTest, MissingTensorIsNamed) {
  const std::string name = "model.layers.1.mlp.up_proj.weight";
  expect_failure(failure_of(TinyLlama{}, [&](auto& t) { erase_tensor(t, name); }), ErrorCode::kNotFound, name);
}

TEST(HfCheckpointTest, UntiedWithoutLmHeadIsAnError) {
  expect_failure(failure_of(TinyLlama{}, [](auto& t) { erase_tensor(t, "lm_head.weight"); }), ErrorCode::kNotFound,
                 "lm_head.weight");
}

TEST(HfCheckpointTest, WrongShapeIsNamed) {
  TinyLlama m;
  const std::string name = "model.layers.0.self_attn.k_proj.weight";
  // k_proj written with every query head's rows: what a config with the wrong kv head count gives.
  const auto status = failure_of(m, [&](auto& tensors) {
    for (auto& t : tensors)
      if (t.name == name) t = test::make_tensor(name, m.dtype, {m.hidden, m.hidden}, 0);
  });
  expect_failure(status, ErrorCode::kCorruptFile, name);
  EXPECT_NE(status.message().find("[16, 16]"), std::string::npos) << status.to_string();
  EXPECT_NE(status.message().find("[8, 16]"), std::string::npos) << status.to_string();
}

TEST(HfCheckpointTest, NormWithMatrixShapeIsRejected) {
  TinyLlama m;
  const auto status = failure_of(m, [&](auto& tensors) {
    for (auto& t : tensors)
      if (t.name == "model.norm.weight") t = test::make_tensor(t.name, m.dtype, {1, m.hidden}, 0);
  });
  expect_failure(status, ErrorCode::kCorruptFile, "model.norm.weight");
}

TEST(HfCheckpointTest, NonFloatTensorIsUnsupported) {
  const auto status = failure_of(TinyLlama{}, [](auto& tensors) {
    tensors.push_back({"model.layers.0.self_attn.q_proj.qweight", "I32", {2}, std::vector<uint8_t>(8, 0)});
  });
  expect_failure(status, ErrorCode::kUnsupported, "qweight");
  EXPECT_NE(status.message().find("I32"), std::string::npos);
}

TEST(HfCheckpointTest, ProjectionBiasIsUnsupported) {
  TinyLlama m;
  const std::string name = "model.layers.1.self_attn.v_proj.bias";
  const auto status = failure_of(m, [&](auto& tensors) { tensors.push_back(test::make_tensor(name, "F32", {8}, 0)); });
  expect_failure(status, ErrorCode::kUnsupported, name);
}

TEST(HfCheckpointTest, CorruptShardNamesItsFile) {
  TempDir dir("corrupt_shard");
  TinyLlama m;
  test::write_config(dir.path(), m.config());
  test::write_sharded(dir.path(), m.tensors(), 2);
  const auto shard = dir.path() / "model-00002-of-00002.safetensors";
  const auto size = std::filesystem::file_size(shard);
  std::filesystem::resize_file(shard, size - 16);
  auto checkpoint = HfCheckpoint::open(dir.str());
  ASSERT_FALSE(checkpoint.ok());
  EXPECT_EQ(checkpoint.status().code(), ErrorCode::kCorruptFile);
  EXPECT_NE(checkpoint.status().message().find("model-00002-of-00002.safetensors"), std::string::npos)
      << checkpoint.status().to_string();
}

TEST(HfCheckpointTest, MissingFilesAreNotFound) {
  TempDir dir("missing");
  TinyLlama m;
  auto checkpoint = HfCheckpoint::open(dir.str());
  expect_failure(checkpoint.ok() ? Status::Ok() : checkpoint.status(), ErrorCode::kNotFound, "config.json");

  test::write_config(dir.path(), m.config());
  checkpoint = HfCheckpoint::open(dir.str());
  expect_failure(checkpoint.ok() ? Status::Ok() : checkpoint.status(), ErrorCode::kNotFound,
                 "model.safetensors.index.json");

  test::write_sharded(dir.path(), m.tensors(), 2);
  std::filesystem::remove(dir.path() / "model-00001-of-00002.safetensors");
  checkpoint = HfCheckpoint::open(dir.str());
  expect_failure(checkpoint.ok() ? Status::Ok() : checkpoint.status(), ErrorCode::kNotFound,
                 "model-00001-of-00002.safetensors");
}

TEST(HfCheckpointTest, ConfigErrorNamesKeyAndFile) {
  TempDir dir("bad_config");
  TinyLlama m;
  auto config = m.config();
  config.erase("num_attention_heads");
  test::write_config(dir.path(), config);
  test::write_single_file(dir.path(), m.tensors());
  auto checkpoint = HfCheckpoint::open(dir.str());
  ASSERT_FALSE(checkpoint.ok());
  EXPECT_NE(checkpoint.status().message().find("num_attention_heads"), std::string::npos);
  EXPECT_NE(checkpoint.status().message().find("config.json"), std::string::npos);
}

TEST(HfCheckpointTest, IndexThatMisplacesATensor) {
  TempDir dir("bad_index");
  TinyLlama m;
  test::write_config(dir.path(), m.config());
  test::write_sharded(dir.path(), m.tensors(), 2);
  // The writer put tensor 0 in shard 1; claim it is in shard 2.
  nlohmann::json index = nlohmann::json::parse(std::ifstream(dir.path() / "model.safetensors.index.json"));
  index["weight_map"]["model.embed_tokens.weight"] = "model-00002-of-00002.safetensors";
  test::write_file(dir.path() / "model.safetensors.index.json", index.dump());
  auto checkpoint = HfCheckpoint::open(dir.str());
  expect_failure(checkpoint.ok() ? Status::Ok() : checkpoint.status(), ErrorCode::kCorruptFile,
                 "model.embed_tokens.weight");

  index["weight_map"]["model.embed_tokens.weight"] = "../model-00001-of-00002.safetensors";
  test::write_file(dir.path() / "model.safetensors.index.json", index.dump());
  checkpoint = HfCheckpoint::open(dir.str());
  expect_failure(checkpoint.ok() ? Status::Ok() : checkpoint.status(), ErrorCode::kCorruptFile,
                 "not a file in the checkpoint");
}

TEST(HfCheckpointTest, ViewsSurviveMovingTheCheckpoint) {
  TempDir dir("move");
  TinyLlama m;
  const auto written = m.tensors();
  test::write_config(dir.path(), m.config());
  test::write_sharded(dir.path(), written, 2);
  auto opened = HfCheckpoint::open(dir.str());
  ASSERT_TRUE(opened.ok()) << opened.status().to_string();
  auto weights = opened->weights();
  ASSERT_TRUE(weights.ok());
  HfCheckpoint moved = std::move(opened).value();
  expect_values(weights->layers[1].down.dense, written, "model.layers.1.mlp.down_proj.weight");
  auto again = moved.weights();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->layers[1].down.dense.data, weights->layers[1].down.dense.data);
}

}  // namespace
}  // namespace mobiq
