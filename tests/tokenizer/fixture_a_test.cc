// fixture-a's tokenizer.json (a Mistral-7B vocabulary in Hugging Face BPE form with byte fallback) under
// the perplexity protocol of shared/README.md: join_documents, no special tokens, one BOS in front.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstring>
#include <iostream>

#include "runtime/tokenizer/documents.h"
#include "runtime/tokenizer/tokenizer.h"
#include "tests/support/value_or_fail.h"
#include "tests/support/shared_data.h"
#include "tests/tokenizer/test_util.h"

namespace mobiq {
namespace {

Tokenizer load_fixture_a() {
  const auto dir = test::fixture_a_dir();
  auto tokenizer = Tokenizer::from_hf_json(test::read_file((dir / "tokenizer.json").string()),
                                           test::read_file((dir / "tokenizer_config.json").string()));
  return test::value_or_fail(std::move(tokenizer), "fixture-a tokenizer");
}

// The protocol: documents joined, tokenized without special tokens, one BOS in front.
std::vector<int32_t> protocol_ids(const Tokenizer& tokenizer, const std::string& file) {
  const std::string text = join_documents(test::read_file(test::shared_data(file).string()));
  EncodeOptions options;
  options.add_bos = false;
  const std::vector<int32_t> ids = test::value_or_fail(tokenizer.encode(text, options), file);
  std::vector<int32_t> out{tokenizer.bos_id()};
  out.insert(out.end(), ids.begin(), ids.end());
  return out;
}

// The int32 tensor `name` of a safetensors file: u64 little-endian header length, JSON header, data.
std::vector<int32_t> read_safetensors_int32(const std::string& path, const std::string& name) {
  const std::string bytes = test::read_file(path);
  uint64_t header_len = 0;
  if (bytes.size() < 8) return {};
  std::memcpy(&header_len, bytes.data(), 8);
  if (header_len > bytes.size() - 8) return {};
  const auto header = nlohmann::json::parse(bytes.substr(8, header_len));
  const auto& t = header.at(name);
  EXPECT_EQ(t.at("dtype").get<std::string>(), "I32");
  const auto begin = t.at("data_offsets").at(0).get<uint64_t>();
  const auto end = t.at("data_offsets").at(1).get<uint64_t>();
  std::vector<int32_t> out((end - begin) / 4);
  std::memcpy(out.data(), bytes.data() + 8 + header_len + begin, out.size() * 4);
  return out;
}

TEST(FixtureA, VocabularyAndSpecialTokens) {
  MOBIQ_REQUIRE_SHARED();
  const Tokenizer tokenizer = load_fixture_a();
  EXPECT_EQ(tokenizer.vocab_size(), 32000);
  EXPECT_EQ(tokenizer.bos_id(), 1);
  EXPECT_EQ(tokenizer.eos_id(), 2);
  EXPECT_TRUE(tokenizer.adds_bos());
  EXPECT_TRUE(tokenizer.is_special(1));
  EXPECT_TRUE(tokenizer.is_special(2));
  EXPECT_FALSE(tokenizer.is_special(28705));
  EXPECT_EQ(tokenizer.token_id("\xE2\x96\x81"), 28705);  // "▁" is Mistral's id, not Llama-2's
}

TEST(FixtureA, ProtocolTokenCounts) {
  MOBIQ_REQUIRE_SHARED();
  MOBIQ_REQUIRE_SHARED_DATA("eval_sotu.txt");
  const Tokenizer tokenizer = load_fixture_a();
  EXPECT_EQ(protocol_ids(tokenizer, "eval_sotu.txt").size(), 92045u);
  EXPECT_EQ(protocol_ids(tokenizer, "calib.txt").size(), 79019u);
}

TEST(FixtureA, FirstTokensMatchTransformers) {
  MOBIQ_REQUIRE_SHARED();
  MOBIQ_REQUIRE_SHARED_DATA("eval_sotu.txt");
  const Tokenizer tokenizer = load_fixture_a();
  const std::vector<int32_t> reference =
      read_safetensors_int32((test::fixture_a_dir() / "reference_logits.safetensors").string(), "tokens");
  ASSERT_EQ(reference.size(), 32u);
  std::vector<int32_t> ids = protocol_ids(tokenizer, "eval_sotu.txt");
  ids.resize(32);
  EXPECT_EQ(test::ids_to_string(ids), test::ids_to_string(reference));
}

TEST(FixtureA, EncodeAddsBosAndDecodeRoundTrips) {
  MOBIQ_REQUIRE_SHARED();
  MOBIQ_REQUIRE_SHARED_DATA("eval_sotu.txt");
  const Tokenizer tokenizer = load_fixture_a();
  const std::string text = join_documents(test::read_file(test::shared_data("eval_sotu.txt").string()));
  const auto start = std::chrono::steady_clock::now();
  auto ids = tokenizer.encode(text);  // default options: the model's BOS in front
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(ids.ok()) << ids.status().to_string();
  std::cout << "[ info ] encoded " << text.size() << " bytes into " << ids->size() << " tokens in " << seconds
            << " s\n";
  ASSERT_FALSE(ids->empty());
  EXPECT_EQ(ids->front(), 1);
  EXPECT_EQ(ids->size(), 92045u);
  EXPECT_EQ(tokenizer.decode(*ids), text);
}

TEST(FixtureA, SpecialTokensOnlyWithParseSpecial) {
  MOBIQ_REQUIRE_SHARED();
  const Tokenizer tokenizer = load_fixture_a();
  EncodeOptions plain;
  plain.add_bos = false;
  EncodeOptions special = plain;
  special.parse_special = true;
  auto as_text = tokenizer.encode("Hello</s>", plain);
  auto as_special = tokenizer.encode("Hello</s>", special);
  ASSERT_TRUE(as_text.ok() && as_special.ok());
  EXPECT_EQ(std::count(as_text->begin(), as_text->end(), 2), 0);
  ASSERT_FALSE(as_special->empty());
  EXPECT_EQ(as_special->back(), 2);
  // "Hello" is the same tokens either way.
  EXPECT_EQ(std::vector<int32_t>(as_special->begin(), as_special->end() - 1),
            *tokenizer.encode("Hello", plain));
  EXPECT_EQ(tokenizer.decode(*as_special), "Hello");  // control tokens decode to nothing
}

TEST(FixtureA, ByteFallbackForUnknownCharacters) {
  MOBIQ_REQUIRE_SHARED();
  const Tokenizer tokenizer = load_fixture_a();
  EncodeOptions options;
  options.add_bos = false;
  const std::string text = "snow \xE2\x98\x83 \xF0\x9F\xA6\x99 end";  // ☃ 🦙
  auto ids = tokenizer.encode(text, options);
  ASSERT_TRUE(ids.ok());
  bool has_byte_token = false;
  for (int32_t id : *ids) has_byte_token |= tokenizer.token_text(id).starts_with("<0x");
  EXPECT_TRUE(has_byte_token) << test::ids_to_string(*ids);
  EXPECT_EQ(tokenizer.decode(*ids), text);
}

}  // namespace
}  // namespace mobiq
