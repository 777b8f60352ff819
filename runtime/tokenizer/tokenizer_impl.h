// Tokenizer::Impl (= tokenizer_internal::Vocab): the vocabulary and the settings the loaders
// (hf_tokenizer.cc, gguf_tokenizer.cc) fill in and the encoder/decoder (tokenizer.cc) reads.
// Private to runtime/tokenizer/.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/tokenizer/gguf_metadata.h"
#include "runtime/tokenizer/regex_splitter.h"
#include "runtime/tokenizer/tokenizer.h"

namespace mobiq {

namespace tokenizer_internal {

// What a vocabulary entry is (GGUF's tokenizer.ggml.token_type values).
enum class TokenAttr : uint8_t {
  kUndefined = 0,  // an id no entry names (a hole in a Hugging Face vocabulary)
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,      // BOS, EOS, <|eot_id|>: matched in text only with parse_special, never decoded
  kUserDefined = 4,  // added tokens that are not special: always matched in text, decoded verbatim
  kUnused = 5,
  kByte = 6,         // <0xAB> byte-fallback tokens
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using TokenMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

// (left id, right id) -> (rank, merged id).
struct MergeInfo {
  uint32_t rank;
  int32_t merged;
};
using MergeMap = std::unordered_map<uint64_t, MergeInfo>;
inline uint64_t merge_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

// Normalizer steps, applied in order to each piece of text between special tokens.
struct NormalizerStep {
  enum class Kind { kPrepend, kReplace, kStrip } kind;
  std::string a;  // kPrepend: what is prepended; kReplace: the pattern
  std::string b;  // kReplace: the replacement
  bool left = false, right = false;  // kStrip
};

// Pre-tokenizer steps, applied in order; each maps a list of pieces to a new list.
struct PreTokenizerStep {
  enum class Kind { kRegexSplit, kByteLevel, kMetaspace };
  explicit PreTokenizerStep(Kind k) : kind(k) {}
  Kind kind;
  std::vector<RegexSplitter> regex;  // kRegexSplit: one pattern; kByteLevel with use_regex: GPT-2's
  bool add_prefix_space = false;     // kByteLevel: " " in front of a piece that does not start with one
  // kMetaspace
  enum class Prepend { kAlways, kFirst, kNever } prepend = Prepend::kAlways;
  bool split = true;
  std::string replacement;  // kMetaspace
};

// The vocabulary and every setting; Tokenizer::Impl is this (a separate name so that helpers outside
// the class can take it).
struct Vocab {
  enum class Algorithm {
    kSpmScores,  // llama.cpp's SentencePiece: merge the pair whose concatenation has the best score
    kBpeMerges,  // BPE by merge rank over characters (byte fallback) or GPT-2 bytes (byte-level)
  };
  Algorithm algorithm = Algorithm::kBpeMerges;

  // Vocabulary, indexed by id.
  std::vector<std::string> tokens;
  std::vector<float> scores;  // kSpmScores only
  std::vector<TokenAttr> attrs;
  TokenMap token_to_id;
  MergeMap merges;  // kBpeMerges only

  int32_t bos = -1, eos = -1, unk = -1;
  bool add_bos = false;  // the model's own setting (tokenizer_config add_bos_token / GGUF add_bos_token)
  bool add_eos = false;

  // Encoding settings.
  std::vector<NormalizerStep> normalizer;
  std::vector<PreTokenizerStep> pre_tokenizer;
  bool byte_fallback = false;  // characters not in the vocabulary become <0xAB> tokens
  bool fuse_unk = false;       // consecutive unknown characters become one <unk>
  bool ignore_merges = false;  // a pre-token that is a whole vocabulary entry is taken as it is
  std::array<int32_t, 256> byte_tokens{};  // id of <0xAB> (-1 when absent)
  // No vocabulary entry has "▁" right after another character, so no merge can join "x" and "▁y":
  // a pre-token can be cut before each such "▁" and its pieces merged on their own with the same
  // result (and far faster than merging a whole 1 MB text as one word). Set by finish().
  bool split_before_metaspace = false;

  // Decoding settings.
  bool decode_byte_level = false;  // token text is GPT-2 byte-mapped unicode
  bool decode_metaspace = false;   // "▁" decodes to " "
  int decode_strip_leading = 0;    // spaces removed from the start of a decoded sequence

  // Special / added tokens matched in the text before normalisation: a byte trie.
  struct TrieNode {
    int32_t token = -1;  // a token ends here
    std::unordered_map<unsigned char, int32_t> next;
  };
  std::vector<TrieNode> trie{TrieNode{}};
  std::array<bool, 256> trie_first{};  // bytes a special token can start with

  // Called by the loaders once the vocabulary is complete: derives the lookup tables.
  void finish();
  void add_to_trie(int32_t id);

  int32_t find(std::string_view text) const {
    auto it = token_to_id.find(text);
    return it == token_to_id.end() ? -1 : it->second;
  }
  TokenAttr attr(int32_t id) const { return attrs[static_cast<size_t>(id)]; }
};

// The loaders: fill an empty Vocab (and call finish()).
Status load_hf_vocab(const std::string& tokenizer_json, const std::string& tokenizer_config_json, Vocab& vocab);
Status load_gguf_vocab(const gguf::Metadata& metadata, Vocab& vocab);

}  // namespace tokenizer_internal

struct Tokenizer::Impl : tokenizer_internal::Vocab {};

}  // namespace mobiq
