// Tokenizers from small hand-made GGUF vocabularies: llama.cpp's SentencePiece merge by score, byte-level
// BPE by merge rank, special/user-defined tokens, and the key errors of a malformed vocabulary.
#include <gtest/gtest.h>

#include "runtime/tokenizer/gguf_metadata.h"
#include "runtime/tokenizer/tokenizer.h"
#include "runtime/tokenizer/unicode.h"
#include "tests/tokenizer/gguf_builder.h"
#include "tests/tokenizer/test_util.h"

namespace mobiq {
namespace {

using test::encode;

using test::GgufBuilder;

const std::string kSp = "\xE2\x96\x81";  // ▁

Result<Tokenizer> from_bytes(const std::string& file) {
  auto meta = gguf::parse_metadata(file);
  if (!meta.ok()) return meta.status();
  return Tokenizer::from_gguf_metadata(*meta);
}

// <unk> <s> </s>, 256 byte tokens, then scored pieces. Returns the builder with every tokenizer key set.
struct SpmVocab {
  std::vector<std::string> tokens{"<unk>", "<s>", "</s>"};
  std::vector<float> scores{0, 0, 0};
  std::vector<int32_t> types{2, 3, 3};
  SpmVocab() {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) add(std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">", 0, 6);
    add(kSp, -1);        // 259
    add("a", -2);        // 260
    add("b", -3);        // 261
    add("ab", -4);       // 262
    add(kSp + "a", -5);  // 263
    add(kSp + "ab", -0.5f);  // 264
    add("ba", -0.1f);    // 265
    add("<tool>", 0, 4); // 266 user-defined
    add(kSp + kSp, -6);  // 267
  }
  void add(const std::string& t, float score, int32_t type = 1) {
    tokens.push_back(t);
    scores.push_back(score);
    types.push_back(type);
  }
  std::string build() const {
    return GgufBuilder()
        .string("general.architecture", "llama")
        .string("tokenizer.ggml.model", "llama")
        .strings("tokenizer.ggml.tokens", tokens)
        .f32s("tokenizer.ggml.scores", scores)
        .i32s("tokenizer.ggml.token_type", types)
        .u32("tokenizer.ggml.bos_token_id", 1)
        .u32("tokenizer.ggml.eos_token_id", 2)
        .build();
  }
};

TEST(GgufSpm, MergesByScore) {
  auto t = from_bytes(SpmVocab().build());
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(t->vocab_size(), 268);
  EXPECT_EQ(t->bos_id(), 1);
  EXPECT_EQ(t->eos_id(), 2);
  EXPECT_TRUE(t->adds_bos());
  // "▁ab": "ab" (-4) beats "▁a" (-5), then "▁ab" (-0.5).
  EXPECT_EQ(encode(*t, "ab"), (std::vector<int32_t>{264}));
  // "▁aba": "ba" (-0.1) first, then only "▁a" (-5) is left.
  EXPECT_EQ(encode(*t, "aba"), (std::vector<int32_t>{263, 265}));
  // Dummy prefix and spaces: " a" -> "▁▁a" -> "▁▁" needs ... "▁a" (-5) vs "▁▁" (-6): "▁a" wins.
  EXPECT_EQ(encode(*t, " a"), (std::vector<int32_t>{259, 263}));
  // BOS in front by default.
  EXPECT_EQ(encode(*t, "ab", true), (std::vector<int32_t>{1, 264}));
  EXPECT_EQ(encode(*t, ""), std::vector<int32_t>{});
  EXPECT_EQ(encode(*t, "", true), std::vector<int32_t>{1});
}

TEST(GgufSpm, ByteFallbackAndDecode) {
  auto t = from_bytes(SpmVocab().build());
  ASSERT_TRUE(t.ok());
  // "c" and "é" are not pieces: their UTF-8 bytes become <0x63>, <0xC3><0xA9>.
  EXPECT_EQ(encode(*t, "c\xC3\xA9"), (std::vector<int32_t>{259, 3 + 0x63, 3 + 0xC3, 3 + 0xA9}));
  EXPECT_EQ(t->decode(encode(*t, "c\xC3\xA9 ab", true)), "c\xC3\xA9 ab");
  EXPECT_EQ(t->token_to_piece(263), " a");
  EXPECT_EQ(t->token_to_piece(3 + 0x41), "A");
  EXPECT_EQ(t->token_to_piece(1), "");  // control
  EXPECT_EQ(t->token_text(263), kSp + "a");
  EXPECT_EQ(t->token_to_piece(-1), "");
  EXPECT_EQ(t->token_to_piece(100000), "");
  EXPECT_EQ(t->decode({1, 264, 2}), "ab");
  // Invalid UTF-8: every stray byte becomes its byte token and comes back.
  const std::string bad = "\xE2\x96 a\xC3\xFF\x80" "b\xF0\x9F";
  EXPECT_EQ(t->decode(encode(*t, bad)), bad);
}

TEST(GgufSpm, SpecialAndUserDefinedTokens) {
  auto t = from_bytes(SpmVocab().build());
  ASSERT_TRUE(t.ok());
  // User-defined tokens are always matched; the text after one gets a dummy prefix again (llama.cpp).
  EXPECT_EQ(encode(*t, "a<tool>a"), (std::vector<int32_t>{263, 266, 263}));
  // Control tokens only with parse_special.
  EXPECT_EQ(encode(*t, "</s>", false, true), (std::vector<int32_t>{2}));
  const auto plain = encode(*t, "</s>");
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 2), 0);
  EXPECT_EQ(t->decode(plain), "</s>");
  EXPECT_TRUE(t->is_special(2));
  EXPECT_TRUE(t->is_special(0));
  EXPECT_FALSE(t->is_special(266));
}

TEST(GgufSpm, NoSpacePrefixWhenDisabled) {
  SpmVocab v;
  const std::string file = GgufBuilder()
                               .string("tokenizer.ggml.model", "llama")
                               .strings("tokenizer.ggml.tokens", v.tokens)
                               .f32s("tokenizer.ggml.scores", v.scores)
                               .i32s("tokenizer.ggml.token_type", v.types)
                               .boolean("tokenizer.ggml.add_space_prefix", false)
                               .boolean("tokenizer.ggml.add_bos_token", false)
                               .build();
  auto t = from_bytes(file);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(encode(*t, "ab"), (std::vector<int32_t>{262}));
  EXPECT_EQ(encode(*t, "ab", true), (std::vector<int32_t>{262}));  // add_bos_token false
  EXPECT_FALSE(t->adds_bos());
  EXPECT_EQ(t->decode(encode(*t, " ab")), " ab");
}

// A GPT-2 style vocabulary: the 256 byte characters, then merged tokens.
std::string gpt2_file(const std::string& pre, const std::vector<std::string>& merges) {
  const auto& bytes = tokenizer_internal::byte_to_unicode();
  std::vector<std::string> tokens(bytes.begin(), bytes.end());
  std::vector<int32_t> types(256, 1);
  for (const std::string& m : merges) {
    const size_t space = m.find(' ');
    tokens.push_back(m.substr(0, space) + m.substr(space + 1));
    types.push_back(1);
  }
  tokens.push_back("<|endoftext|>");
  types.push_back(3);
  GgufBuilder b;
  b.string("tokenizer.ggml.model", "gpt2");
  if (!pre.empty()) b.string("tokenizer.ggml.pre", pre);
  b.strings("tokenizer.ggml.tokens", tokens)
      .i32s("tokenizer.ggml.token_type", types)
      .strings("tokenizer.ggml.merges", merges)
      .u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(tokens.size() - 1))
      .u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(tokens.size() - 1));
  return b.build();
}

const std::vector<std::string> kMerges = {"h e", "l l", "he ll", "hell o", "\xC4\xA0 w", "o r", "\xC4\xA0w or",
                                          "\xC4\xA0wor l", "\xC4\xA0worl d", "1 2", "12 3"};

TEST(GgufBpe, MergesByRankPerPreToken) {
  auto t = from_bytes(gpt2_file("gpt-2", kMerges));
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  const int32_t hello = 256 + 3, world = 256 + 8, eot = 256 + 11;
  EXPECT_EQ(encode(*t, "hello world"), (std::vector<int32_t>{hello, world}));
  EXPECT_FALSE(t->adds_bos());
  EXPECT_EQ(encode(*t, "hello world", true), (std::vector<int32_t>{hello, world}));
  EXPECT_EQ(encode(*t, "hello<|endoftext|>", false, true), (std::vector<int32_t>{hello, eot}));
  EXPECT_EQ(t->decode({hello, world, eot}), "hello world");
  EXPECT_EQ(t->token_to_piece(world), " world");
}

TEST(GgufBpe, PreTokenizerPatterns) {
  auto gpt2 = from_bytes(gpt2_file("gpt-2", kMerges));
  auto llama3 = from_bytes(gpt2_file("llama-bpe", kMerges));
  auto qwen2 = from_bytes(gpt2_file("qwen2", kMerges));
  ASSERT_TRUE(gpt2.ok() && llama3.ok() && qwen2.ok());
  const int32_t t123 = 256 + 10;
  // The byte characters' ids are the byte values here.
  const int32_t one = '1', two = '2', three = '3';
  // GPT-2: "1231" is one pre-token: "12" merges twice (leftmost first), then "12"+"3".
  EXPECT_EQ(encode(*gpt2, "1231"), (std::vector<int32_t>{t123, one}));
  // Llama 3: digits in groups of three: "123" | "1".
  EXPECT_EQ(encode(*llama3, "1231"), (std::vector<int32_t>{t123, one}));
  EXPECT_EQ(encode(*llama3, "12312"), (std::vector<int32_t>{t123, 256 + 9}));
  // Qwen2: one digit per pre-token, so nothing merges.
  EXPECT_EQ(encode(*qwen2, "123"), (std::vector<int32_t>{one, two, three}));
  EXPECT_TRUE(llama3->adds_bos());  // llama.cpp's default for Llama 3 vocabularies
  // Invalid UTF-8 and control bytes survive the regex and the byte mapping.
  const std::string odd = "a\xFF\xFE b\x01\n\t\xE2\x82";
  for (const Tokenizer* t : {&*gpt2, &*llama3, &*qwen2}) EXPECT_EQ(t->decode(encode(*t, odd)), odd);
}

TEST(GgufBpe, LongWhitespaceRuns) {
  auto t = from_bytes(gpt2_file("llama-bpe", kMerges));
  ASSERT_TRUE(t.ok());
  const std::string text = std::string(200000, ' ') + "x" + std::string(100000, '\n');
  EXPECT_EQ(t->decode(encode(*t, text)), text);
}

TEST(GgufVocabErrors, MalformedVocabularies) {
  SpmVocab v;
  const auto code = [](const std::string& file) { return from_bytes(file).status().code(); };
  EXPECT_EQ(code(GgufBuilder().string("general.name", "x").build()), ErrorCode::kNotFound);
  EXPECT_EQ(code(GgufBuilder().string("tokenizer.ggml.model", "bert").strings("tokenizer.ggml.tokens", {"a"}).build()),
            ErrorCode::kUnsupported);
  EXPECT_EQ(code(GgufBuilder().u32("tokenizer.ggml.model", 3).build()), ErrorCode::kCorruptFile);
  EXPECT_EQ(code(GgufBuilder().string("tokenizer.ggml.model", "llama").build()), ErrorCode::kNotFound);
  EXPECT_EQ(code(GgufBuilder().string("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", {}).build()),
            ErrorCode::kCorruptFile);
  EXPECT_EQ(code(GgufBuilder().string("tokenizer.ggml.model", "llama").f32s("tokenizer.ggml.tokens", {1}).build()),
            ErrorCode::kCorruptFile);
  EXPECT_EQ(code(GgufBuilder()
                     .string("tokenizer.ggml.model", "llama")
                     .strings("tokenizer.ggml.tokens", v.tokens)
                     .f32s("tokenizer.ggml.scores", {1, 2})
                     .build()),
            ErrorCode::kCorruptFile);
  std::vector<int32_t> bad_types = v.types;
  bad_types[5] = 9;
  EXPECT_EQ(code(GgufBuilder()
                     .string("tokenizer.ggml.model", "llama")
                     .strings("tokenizer.ggml.tokens", v.tokens)
                     .i32s("tokenizer.ggml.token_type", bad_types)
                     .build()),
            ErrorCode::kCorruptFile);
  EXPECT_EQ(code(GgufBuilder()
                     .string("tokenizer.ggml.model", "llama")
                     .strings("tokenizer.ggml.tokens", v.tokens)
                     .u32("tokenizer.ggml.bos_token_id", 1u << 30)
                     .build()),
            ErrorCode::kCorruptFile);
  // gpt2 without merges, with a malformed merge, with an unknown pre-tokenizer.
  EXPECT_EQ(code(GgufBuilder().string("tokenizer.ggml.model", "gpt2").strings("tokenizer.ggml.tokens", {"a"}).build()),
            ErrorCode::kNotFound);
  EXPECT_EQ(code(gpt2_file("gpt-2", {"h e", "nospace"})), ErrorCode::kCorruptFile);
  EXPECT_EQ(code(gpt2_file("no-such-pre", kMerges)), ErrorCode::kUnsupported);
  EXPECT_TRUE(from_bytes(gpt2_file("", kMerges)).ok());  // no pre: llama.cpp's default (GPT-2's pattern)
}

}  // namespace
}  // namespace mobiq
