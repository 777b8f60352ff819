#include <gtest/gtest.h>

#include <filesystem>

#include "runtime/model/model.h"
#include "tests/model/test_checkpoint_writer.h"
#include "tests/support/shared_data.h"

namespace mobiq {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(HfModelTest, OpensFixtureA) {
  MOBIQ_REQUIRE_SHARED();
  auto model = Model::open_hf(test::fixture_a_dir().string());
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  EXPECT_EQ(model->max_slices(), 0);
  EXPECT_EQ(model->config().vocab_size, 32000);
  EXPECT_EQ(model->config().n_kv_heads, 2);
  EXPECT_EQ(model->tokenizer().vocab_size(), 32000);
  EXPECT_EQ(model->tokenizer().bos_id(), model->config().bos_id);
  EXPECT_TRUE(model->chat_template().empty());  // fixture-a's tokenizer_config.json has none
  const ModelWeights& w = model->weights();
  EXPECT_EQ(w.token_embedding.dtype, DType::kBF16);
  EXPECT_EQ(w.output.data, w.token_embedding.data);
  ASSERT_EQ(w.layers.size(), 6u);
  EXPECT_FALSE(w.layers[0].q.is_sliced());
  EXPECT_EQ(w.layers[0].q.out(), 384);
}

// A tiny checkpoint whose vocabulary matches fixture-a's tokenizer, beside copies of that
// tokenizer and a tokenizer_config.json the test can edit.
class HfModelTinyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::have_shared()) GTEST_SKIP() << "needs fixture-a's tokenizer.json from ../shared";
    model_.vocab = 32000;
    model_.tied = true;
    model_.dtype = "BF16";
    test::write_config(dir_.path(), model_.config());
    test::write_single_file(dir_.path(), model_.tensors());
    fs::copy_file(test::fixture_a_dir() / "tokenizer.json", dir_.path() / "tokenizer.json");
    tokenizer_config_ = json::parse(std::ifstream(test::fixture_a_dir() / "tokenizer_config.json"));
  }
  void write_tokenizer_config() {
    test::write_file(dir_.path() / "tokenizer_config.json", tokenizer_config_.dump());
  }

  test::TempDir dir_{"hf_model"};
  test::TinyLlama model_;
  json tokenizer_config_;
};

TEST_F(HfModelTinyTest, ChatTemplateAsString) {
  tokenizer_config_["chat_template"] = "{{ messages }}";
  write_tokenizer_config();
  auto model = Model::open_hf(dir_.str());
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  EXPECT_EQ(model->chat_template(), "{{ messages }}");
  EXPECT_EQ(model->config().hidden_size, model_.hidden);
}

TEST_F(HfModelTinyTest, ChatTemplateListTakesDefault) {
  tokenizer_config_["chat_template"] = json::array(
      {{{"name", "tool_use"}, {"template", "tools"}}, {{"name", "default"}, {"template", "plain"}}});
  write_tokenizer_config();
  auto model = Model::open_hf(dir_.str());
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  EXPECT_EQ(model->chat_template(), "plain");
}

TEST_F(HfModelTinyTest, ChatTemplateFromJinjaFile) {
  write_tokenizer_config();
  test::write_file(dir_.path() / "chat_template.jinja", "{% for m in messages %}{{ m }}{% endfor %}");
  auto model = Model::open_hf(dir_.str());
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  EXPECT_EQ(model->chat_template(), "{% for m in messages %}{{ m }}{% endfor %}");
}

TEST_F(HfModelTinyTest, ChatTemplateOfWrongType) {
  tokenizer_config_["chat_template"] = 42;
  write_tokenizer_config();
  auto model = Model::open_hf(dir_.str());
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("chat_template"), std::string::npos) << model.status().to_string();
}

TEST_F(HfModelTinyTest, BosAndEosFallBackToTokenizer) {
  write_tokenizer_config();
  json config = model_.config();
  config.erase("bos_token_id");
  config.erase("eos_token_id");
  test::write_config(dir_.path(), config);
  auto model = Model::open_hf(dir_.str());
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  EXPECT_EQ(model->config().bos_id, model->tokenizer().bos_id());
  ASSERT_EQ(model->config().eos_ids.size(), 1u);
  EXPECT_EQ(model->config().eos_ids[0], model->tokenizer().eos_id());
}

TEST_F(HfModelTinyTest, TokenizerLargerThanEmbeddingIsAnError) {
  write_tokenizer_config();
  model_.vocab = 1000;
  test::write_config(dir_.path(), model_.config());
  test::write_single_file(dir_.path(), model_.tensors());
  auto model = Model::open_hf(dir_.str());
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("vocab_size"), std::string::npos) << model.status().to_string();
}

TEST_F(HfModelTinyTest, MissingTokenizerJson) {
  write_tokenizer_config();
  fs::remove(dir_.path() / "tokenizer.json");
  auto model = Model::open_hf(dir_.str());
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(model.status().message().find("tokenizer.json"), std::string::npos) << model.status().to_string();
}

}  // namespace
}  // namespace mobiq
