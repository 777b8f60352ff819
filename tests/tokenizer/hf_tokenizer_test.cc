// Tokenizers from small hand-made tokenizer.json files: byte-level BPE (GPT-2 and Llama 3 forms),
// SentencePiece-style BPE (Prepend/Replace normalizer and Metaspace pre-tokenizer), added tokens, BOS
// from tokenizer_config.json or the post-processor, and malformed files as errors.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/tokenizer/tokenizer.h"
#include "runtime/tokenizer/unicode.h"
#include "tests/tokenizer/test_util.h"

namespace mobiq {
namespace {

using test::encode;

using json = nlohmann::json;
const std::string kSp = "\xE2\x96\x81";  // ▁

// GPT-2 style: byte characters 0..255 (id = byte), merged tokens from 256, then added tokens.
json byte_level_json(const std::vector<std::pair<std::string, std::string>>& merges) {
  json vocab = json::object();
  const auto& bytes = tokenizer_internal::byte_to_unicode();
  for (int b = 0; b < 256; ++b) vocab[bytes[b]] = b;
  json merge_list = json::array();
  int next = 256;
  for (const auto& [l, r] : merges) {
    vocab[l + r] = next++;
    merge_list.push_back(json::array({l, r}));
  }
  json t;
  t["version"] = "1.0";
  t["model"] = {{"type", "BPE"}, {"vocab", vocab}, {"merges", merge_list}, {"unk_token", nullptr}};
  t["added_tokens"] = json::array({
      {{"id", next}, {"content", "<|endoftext|>"}, {"special", true}},
      {{"id", next + 1}, {"content", "<tool>"}, {"special", false}},
  });
  t["normalizer"] = nullptr;
  t["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
  t["decoder"] = {{"type", "ByteLevel"}};
  t["post_processor"] = {
      {"type", "TemplateProcessing"},
      {"single", json::array({{{"SpecialToken", {{"id", "<|endoftext|>"}, {"type_id", 0}}}},
                              {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
      {"special_tokens", {{"<|endoftext|>", {{"id", "<|endoftext|>"}, {"ids", {next}}, {"tokens", {"<|endoftext|>"}}}}}}};
  return t;
}

const std::vector<std::pair<std::string, std::string>> kMerges = {
    {"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {"\xC4\xA0", "w"}, {"o", "r"}, {"\xC4\xA0w", "or"},
    {"\xC4\xA0wor", "l"}, {"\xC4\xA0worl", "d"}};
constexpr int32_t kHello = 259, kWorld = 264, kEot = 265, kTool = 266;

TEST(HfByteLevel, EncodeDecode) {
  auto t = Tokenizer::from_hf_json(byte_level_json(kMerges).dump(), "");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(t->vocab_size(), 267);
  EXPECT_EQ(encode(*t, "hello world"), (std::vector<int32_t>{kHello, kWorld}));
  // BOS from the post-processor's template (no tokenizer_config.json).
  EXPECT_EQ(t->bos_id(), kEot);
  EXPECT_TRUE(t->adds_bos());
  EXPECT_EQ(encode(*t, "hello", true), (std::vector<int32_t>{kEot, kHello}));
  // Special tokens only with parse_special; non-special added tokens always.
  EXPECT_EQ(encode(*t, "hello<|endoftext|>", false, true), (std::vector<int32_t>{kHello, kEot}));
  const std::vector<int32_t> as_text = encode(*t, "<|endoftext|>");
  EXPECT_EQ(std::count(as_text.begin(), as_text.end(), kEot), 0);
  EXPECT_EQ(t->decode(as_text), "<|endoftext|>");
  EXPECT_EQ(encode(*t, "hello<tool> world"), (std::vector<int32_t>{kHello, kTool, kWorld}));
  EXPECT_EQ(t->decode({kEot, kHello, kTool, kWorld}), "hello<tool> world");
  EXPECT_TRUE(t->is_special(kEot));
  EXPECT_FALSE(t->is_special(kTool));
  const std::string odd = "caf\xC3\xA9 \xFF\x80 \xF0\x9F\xA6\x99\r\n\t 12345 it's";
  EXPECT_EQ(t->decode(encode(*t, odd)), odd);
}

TEST(HfByteLevel, ConfigOverridesBosAndAddsTokens) {
  const json config = {{"add_bos_token", false},
                       {"bos_token", {{"content", "<|endoftext|>"}}},
                       {"eos_token", "<|endoftext|>"},
                       {"added_tokens_decoder", {{"267", {{"content", "<|im_end|>"}, {"special", true}}}}}};
  auto t = Tokenizer::from_hf_json(byte_level_json(kMerges).dump(), config.dump());
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(t->vocab_size(), 268);
  EXPECT_EQ(t->bos_id(), kEot);
  EXPECT_EQ(t->eos_id(), kEot);
  EXPECT_FALSE(t->adds_bos());
  EXPECT_EQ(encode(*t, "hello", true), (std::vector<int32_t>{kHello}));
  EXPECT_EQ(encode(*t, "<|im_end|>", false, true), (std::vector<int32_t>{267}));
}

TEST(HfByteLevel, AddPrefixSpaceAndIgnoreMerges) {
  json j = byte_level_json(kMerges);
  j["pre_tokenizer"]["add_prefix_space"] = true;
  auto t = Tokenizer::from_hf_json(j.dump(), "");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(encode(*t, "world"), (std::vector<int32_t>{kWorld}));  // " world"
  EXPECT_EQ(t->decode(encode(*t, "world")), " world");

  // ignore_merges: a pre-token that is a vocabulary entry is taken whole, even with no merges to it.
  j = byte_level_json(kMerges);
  j["model"]["vocab"]["xyz"] = 300;
  auto plain = Tokenizer::from_hf_json(j.dump(), "");
  j["model"]["ignore_merges"] = true;
  auto ignore = Tokenizer::from_hf_json(j.dump(), "");
  ASSERT_TRUE(plain.ok() && ignore.ok()) << plain.status().to_string() << ignore.status().to_string();
  EXPECT_EQ(encode(*plain, "xyz"), (std::vector<int32_t>{'x', 'y', 'z'}));
  EXPECT_EQ(encode(*ignore, "xyz"), (std::vector<int32_t>{300}));
}

TEST(HfByteLevel, Llama3StyleSplitThenByteLevel) {
  json j = byte_level_json({{"1", "2"}, {"12", "3"}});
  j["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       json::array({{{"type", "Split"},
                     {"pattern",
                      {{"Regex",
                        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
                        "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}}},
                     {"behavior", "Isolated"},
                     {"invert", false}},
                    {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}})}};
  auto t = Tokenizer::from_hf_json(j.dump(), "");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(encode(*t, "1231"), (std::vector<int32_t>{257, '1'}));
  EXPECT_EQ(encode(*t, "12312"), (std::vector<int32_t>{257, 256}));
  const std::string text = "Hello, y'all! \xE6\x88\x91 1234567\n\n  x";
  EXPECT_EQ(t->decode(encode(*t, text)), text);
}

// SentencePiece-style BPE as fixture-a's file has it (Prepend + Replace normalizer, byte fallback).
json spm_json() {
  json vocab = {{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}};
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) vocab[std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">"] = 3 + b;
  vocab[kSp] = 259;
  vocab["a"] = 260;
  vocab["b"] = 261;
  vocab[kSp + "a"] = 262;
  vocab["ab"] = 263;
  vocab[kSp + "ab"] = 264;
  vocab[kSp + "b"] = 265;
  json t;
  t["model"] = {{"type", "BPE"},
                {"vocab", vocab},
                {"merges", {kSp + " a", "a b", kSp + "a b", kSp + " b"}},
                {"byte_fallback", true},
                {"fuse_unk", true},
                {"unk_token", "<unk>"}};
  t["added_tokens"] = json::array({{{"id", 0}, {"content", "<unk>"}, {"special", true}},
                                   {{"id", 1}, {"content", "<s>"}, {"special", true}},
                                   {{"id", 2}, {"content", "</s>"}, {"special", true}}});
  t["normalizer"] = {{"type", "Sequence"},
                     {"normalizers", json::array({{{"type", "Prepend"}, {"prepend", kSp}},
                                                  {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", kSp}}})}};
  t["pre_tokenizer"] = nullptr;
  t["decoder"] = {{"type", "Sequence"},
                  {"decoders", json::array({{{"type", "Replace"}, {"pattern", {{"String", kSp}}}, {"content", " "}},
                                            {{"type", "ByteFallback"}},
                                            {{"type", "Fuse"}},
                                            {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}})}};
  return t;
}
const json kSpmConfig = {{"add_bos_token", true}, {"bos_token", "<s>"}, {"eos_token", "</s>"}};

TEST(HfSentencePiece, PrependReplaceNormalizer) {
  auto t = Tokenizer::from_hf_json(spm_json().dump(), kSpmConfig.dump());
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(t->bos_id(), 1);
  EXPECT_EQ(t->eos_id(), 2);
  EXPECT_EQ(encode(*t, "ab", true), (std::vector<int32_t>{1, 264}));
  EXPECT_EQ(encode(*t, "a b"), (std::vector<int32_t>{262, 265}));
  EXPECT_EQ(encode(*t, " a"), (std::vector<int32_t>{259, 262}));  // Prepend always adds its "▁"
  EXPECT_EQ(encode(*t, "c"), (std::vector<int32_t>{259, 3 + 'c'}));  // byte fallback
  EXPECT_EQ(t->decode(encode(*t, " a b c\xC3\xA9", true)), " a b c\xC3\xA9");
  EXPECT_EQ(encode(*t, "a</s>", false, true), (std::vector<int32_t>{262, 2}));
}

TEST(HfSentencePiece, MetaspacePreTokenizer) {
  json j = spm_json();
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", kSp}, {"prepend_scheme", "first"}, {"split", false}};
  j["decoder"] = {{"type", "Sequence"},
                  {"decoders", json::array({{{"type", "Metaspace"}, {"replacement", kSp}, {"prepend_scheme", "first"}},
                                            {{"type", "ByteFallback"}}, {{"type", "Fuse"}}})}};
  auto t = Tokenizer::from_hf_json(j.dump(), kSpmConfig.dump());
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(encode(*t, "ab"), (std::vector<int32_t>{264}));
  EXPECT_EQ(encode(*t, "a b"), (std::vector<int32_t>{262, 265}));
  EXPECT_EQ(encode(*t, " a"), (std::vector<int32_t>{262}));  // Metaspace does not double an existing "▁"
  EXPECT_EQ(t->decode(encode(*t, "ab c")), "ab c");
  // "first": only the text at the very start gets the prefix, not the text after a special token.
  EXPECT_EQ(encode(*t, "a</s>a", false, true), (std::vector<int32_t>{262, 2, 260}));
  // Older files: add_prefix_space instead of prepend_scheme, split by default.
  j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", kSp}, {"add_prefix_space", true}};
  auto old = Tokenizer::from_hf_json(j.dump(), kSpmConfig.dump());
  ASSERT_TRUE(old.ok()) << old.status().to_string();
  EXPECT_EQ(encode(*old, "a</s>a", false, true), (std::vector<int32_t>{262, 2, 262}));
  EXPECT_EQ(encode(*old, "ab b"), (std::vector<int32_t>{264, 265}));
}

// A vocabulary with "▁" inside a token ("a▁") lets merges cross word boundaries: the encoder must then
// merge the text as one word, as tokenizers does.
TEST(HfSentencePiece, TokenWithInnerMetaspaceMergesAcrossWords) {
  json j = spm_json();
  j["model"]["vocab"]["a" + kSp] = 266;
  j["model"]["merges"].insert(j["model"]["merges"].begin(), "a " + kSp);  // rank 0
  auto t = Tokenizer::from_hf_json(j.dump(), kSpmConfig.dump());
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(encode(*t, "a b"), (std::vector<int32_t>{259, 266, 261}));
  EXPECT_EQ(t->decode(encode(*t, "a b")), "a b");
}

TEST(HfErrors, MalformedFilesAreErrors) {
  const auto status = [](const std::string& tokenizer_json, const std::string& config = "") {
    return Tokenizer::from_hf_json(tokenizer_json, config).status();
  };
  EXPECT_EQ(status("").code(), ErrorCode::kNotFound);
  EXPECT_EQ(status("{").code(), ErrorCode::kCorruptFile);
  EXPECT_EQ(status("[1, 2]").code(), ErrorCode::kCorruptFile);
  EXPECT_EQ(status("{}").code(), ErrorCode::kCorruptFile);
  EXPECT_EQ(status(R"({"model": 3})").code(), ErrorCode::kCorruptFile);
  EXPECT_EQ(status(R"({"model": {"type": "WordPiece", "vocab": {}}})").code(), ErrorCode::kUnsupported);
  EXPECT_EQ(status(R"({"model": {"type": "Unigram", "vocab": []}})").code(), ErrorCode::kUnsupported);
  EXPECT_EQ(status(R"({"model": {"type": "BPE", "vocab": [], "merges": []}})").code(), ErrorCode::kCorruptFile);
  EXPECT_EQ(status(R"({"model": {"type": "BPE", "vocab": {"a": "x"}, "merges": []}})").code(), ErrorCode::kCorruptFile);
  EXPECT_EQ(status(R"({"model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}})").code(), ErrorCode::kCorruptFile);
  EXPECT_EQ(status(R"({"model": {"type": "BPE", "vocab": {"a": 4000000000}, "merges": []}})").code(),
            ErrorCode::kCorruptFile);
  EXPECT_EQ(status(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 0}, "merges": []}})").code(),
            ErrorCode::kCorruptFile);
  EXPECT_EQ(status(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": 5}})").code(), ErrorCode::kCorruptFile);
  EXPECT_EQ(status(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a z"]}})").code(),
            ErrorCode::kCorruptFile);
  EXPECT_EQ(status(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["aa"]}})").code(),
            ErrorCode::kCorruptFile);
  EXPECT_EQ(status(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [[1, 2]]}})").code(),
            ErrorCode::kCorruptFile);
  EXPECT_EQ(status(R"({"model": {"type": "BPE", "vocab": {}, "merges": []}})").code(), ErrorCode::kCorruptFile);
  EXPECT_EQ(status(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "added_tokens": [{"id": "x"}]})")
                .code(),
            ErrorCode::kCorruptFile);
  EXPECT_EQ(status(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "byte_fallback": "yes"}})").code(),
            ErrorCode::kCorruptFile);
  EXPECT_EQ(status(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "unk_token": "<unk>"}})").code(),
            ErrorCode::kCorruptFile);
  EXPECT_EQ(status(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "normalizer": {"type": "Lowercase"}})")
                .code(),
            ErrorCode::kUnsupported);
  EXPECT_EQ(
      status(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "Whitespace"}})")
          .code(),
      ErrorCode::kUnsupported);
  EXPECT_EQ(status(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
                       "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated"}})")
                .code(),
            ErrorCode::kInvalidArgument);
  const std::string ok = R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}})";
  EXPECT_TRUE(status(ok).ok());
  EXPECT_EQ(status(ok, "{not json").code(), ErrorCode::kCorruptFile);
  EXPECT_EQ(status(ok, "[]").code(), ErrorCode::kCorruptFile);
  EXPECT_EQ(status(ok, R"({"add_bos_token": "yes"})").code(), ErrorCode::kCorruptFile);
}

TEST(HfErrors, EveryTruncationIsAnError) {
  const std::string full = spm_json().dump();
  ASSERT_TRUE(Tokenizer::from_hf_json(full, "").ok());
  for (size_t n = 1; n < full.size(); n += 7) {
    auto t = Tokenizer::from_hf_json(full.substr(0, n), "");
    EXPECT_FALSE(t.ok()) << n;
  }
}

}  // namespace
}  // namespace mobiq
