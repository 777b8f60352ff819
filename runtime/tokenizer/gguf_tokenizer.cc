// Tokenizer from a GGUF file's tokenizer.ggml.* metadata, with llama.cpp's meaning of each key:
//   tokenizer.ggml.model        "llama" (SentencePiece merged by score) or "gpt2" (byte-level BPE)
//   tokenizer.ggml.pre          the pre-tokenizer regex of a "gpt2" vocabulary ("llama3", "qwen2", ...)
//   tokenizer.ggml.tokens       [string]  tokenizer.ggml.scores [float32]  tokenizer.ggml.token_type [int32]
//   tokenizer.ggml.merges       [string "left right"] ("gpt2" only)
//   tokenizer.ggml.bos_token_id / eos_token_id / unknown_token_id, add_bos_token, add_eos_token,
//   add_space_prefix
#include <new>

#include "runtime/tokenizer/tokenizer_impl.h"
#include "runtime/tokenizer/unicode.h"

namespace mobiq {
namespace tokenizer_internal {

namespace {

constexpr const char* kPrefix = "tokenizer.ggml.";

Result<const gguf::Value*> find_array(const gguf::Metadata& meta, const std::string& key, bool required) {
  const gguf::Value* v = meta.find(key);
  if (!v) {
    if (required) return not_found("GGUF has no " + key);
    return static_cast<const gguf::Value*>(nullptr);
  }
  if (v->type != gguf::ValueType::kArray)
    return corrupt_file(key + " is a " + gguf::value_type_name(v->type) + ", not an array");
  return v;
}

// An optional token id key: -1 when absent; an error when present but not a valid id.
Result<int32_t> token_id_key(const gguf::Metadata& meta, const std::string& key, size_t n_tokens, int32_t fallback) {
  const gguf::Value* v = meta.find(key);
  if (!v) return fallback >= 0 && static_cast<size_t>(fallback) < n_tokens ? fallback : -1;
  const auto id = v->as_int();
  if (!id) return corrupt_file(key + " is a " + std::string(gguf::value_type_name(v->type)) + ", not an integer");
  if (*id < 0 || static_cast<uint64_t>(*id) >= n_tokens)
    return corrupt_file(key + " = " + std::to_string(*id) + " is not a token id (vocabulary of " +
                        std::to_string(n_tokens) + ")");
  return static_cast<int32_t>(*id);
}

Result<bool> bool_key(const gguf::Metadata& meta, const std::string& key, bool fallback) {
  const gguf::Value* v = meta.find(key);
  if (!v) return fallback;
  const auto b = v->as_bool();
  if (!b) return corrupt_file(key + " is a " + std::string(gguf::value_type_name(v->type)) + ", not a bool");
  return *b;
}

struct PreTokenizerFamily {
  const char* pattern;
  bool ignore_merges;
  bool add_bos;
};

// llama.cpp's tokenizer.ggml.pre names for the byte-level BPE vocabularies this build knows.
Result<PreTokenizerFamily> pre_tokenizer_family(const std::string& pre) {
  for (const char* name : {"llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral"})
    if (pre == name) return PreTokenizerFamily{kLlama3Pattern, true, true};
  if (pre == "smaug-bpe") return PreTokenizerFamily{kLlama3Pattern, false, false};
  for (const char* name : {"qwen2", "deepseek-r1-qwen", "megrez", "stablelm2"})
    if (pre == name) return PreTokenizerFamily{kQwen2Pattern, false, false};
  for (const char* name : {"default", "gpt-2", "gpt2", "phi-2", "roberta-bpe"})
    if (pre == name) return PreTokenizerFamily{kGpt2Pattern, false, false};
  return unsupported("GGUF pre-tokenizer \"" + pre +
                     "\" (known: llama3/llama-bpe, qwen2, gpt-2/default and a few aliases)");
}

}  // namespace

Status load_gguf_vocab(const gguf::Metadata& meta, Vocab& v) {
  const std::string p = kPrefix;
  const gguf::Value* model_value = meta.find(p + "model");
  if (!model_value) return not_found("GGUF has no tokenizer.ggml.model (no vocabulary in this file)");
  const std::string* model = model_value->as_string();
  if (!model) return corrupt_file("tokenizer.ggml.model is not a string");
  const bool spm = *model == "llama";
  if (!spm && *model != "gpt2")
    return unsupported("GGUF tokenizer model \"" + *model + "\" (supported: llama, gpt2)");

  MOBIQ_ASSIGN_OR_RETURN(const gguf::Value* tokens, find_array(meta, p + "tokens", true));
  if (tokens->element_type != gguf::ValueType::kString)
    return corrupt_file("tokenizer.ggml.tokens is not an array of strings");
  const size_t n = tokens->strings.size();
  if (n == 0) return corrupt_file("tokenizer.ggml.tokens is empty");
  if (n > static_cast<size_t>(INT32_MAX)) return corrupt_file("tokenizer.ggml.tokens has too many entries");
  v.tokens = tokens->strings;

  MOBIQ_ASSIGN_OR_RETURN(const gguf::Value* scores, find_array(meta, p + "scores", false));
  v.scores.assign(n, 0.0f);
  if (scores) {
    if (scores->reals.size() != n)
      return corrupt_file("tokenizer.ggml.scores has " + std::to_string(scores->array_size()) + " " +
                          gguf::value_type_name(scores->element_type) + " entries for " + std::to_string(n) + " tokens");
    for (size_t i = 0; i < n; ++i) v.scores[i] = static_cast<float>(scores->reals[i]);
  }

  MOBIQ_ASSIGN_OR_RETURN(const gguf::Value* types, find_array(meta, p + "token_type", false));
  v.attrs.assign(n, TokenAttr::kNormal);
  if (types) {
    if (types->integers.size() != n || types->element_type == gguf::ValueType::kBool)
      return corrupt_file("tokenizer.ggml.token_type has " + std::to_string(types->array_size()) + " " +
                          gguf::value_type_name(types->element_type) + " entries for " + std::to_string(n) + " tokens");
    for (size_t i = 0; i < n; ++i) {
      const int64_t t = types->integers[i];
      if (t < 0 || t > 6)
        return corrupt_file("tokenizer.ggml.token_type[" + std::to_string(i) + "] = " + std::to_string(t) +
                            " is not a token type (0..6)");
      v.attrs[i] = static_cast<TokenAttr>(t);
    }
  }

  // As llama.cpp: a later entry with the same text takes the text's id.
  v.token_to_id.reserve(n);
  for (size_t i = 0; i < n; ++i) v.token_to_id[v.tokens[i]] = static_cast<int32_t>(i);

  MOBIQ_ASSIGN_OR_RETURN(v.bos, token_id_key(meta, p + "bos_token_id", n, spm ? 1 : -1));
  MOBIQ_ASSIGN_OR_RETURN(v.eos, token_id_key(meta, p + "eos_token_id", n, spm ? 2 : -1));
  MOBIQ_ASSIGN_OR_RETURN(v.unk, token_id_key(meta, p + "unknown_token_id", n, spm ? 0 : -1));

  if (spm) {
    v.algorithm = Vocab::Algorithm::kSpmScores;
    MOBIQ_ASSIGN_OR_RETURN(const bool add_space_prefix, bool_key(meta, p + "add_space_prefix", true));
    if (add_space_prefix) v.normalizer.push_back({NormalizerStep::Kind::kPrepend, std::string(kMetaspace), {}});
    v.normalizer.push_back({NormalizerStep::Kind::kReplace, " ", std::string(kMetaspace)});
    v.byte_fallback = true;
    v.decode_metaspace = true;
    v.decode_strip_leading = add_space_prefix ? 1 : 0;
    MOBIQ_ASSIGN_OR_RETURN(v.add_bos, bool_key(meta, p + "add_bos_token", true));
  } else {
    v.algorithm = Vocab::Algorithm::kBpeMerges;
    std::string pre = "default";
    if (const gguf::Value* pv = meta.find(p + "pre")) {
      if (!pv->as_string()) return corrupt_file("tokenizer.ggml.pre is not a string");
      pre = *pv->as_string();
    }
    MOBIQ_ASSIGN_OR_RETURN(const PreTokenizerFamily family, pre_tokenizer_family(pre));
    MOBIQ_ASSIGN_OR_RETURN(RegexSplitter regex, RegexSplitter::compile(family.pattern));
    PreTokenizerStep split(PreTokenizerStep::Kind::kRegexSplit);
    split.regex.push_back(std::move(regex));
    v.pre_tokenizer.push_back(std::move(split));
    v.pre_tokenizer.push_back(PreTokenizerStep(PreTokenizerStep::Kind::kByteLevel));
    v.ignore_merges = family.ignore_merges;
    v.decode_byte_level = true;
    MOBIQ_ASSIGN_OR_RETURN(v.add_bos, bool_key(meta, p + "add_bos_token", family.add_bos));

    MOBIQ_ASSIGN_OR_RETURN(const gguf::Value* merges, find_array(meta, p + "merges", true));
    if (merges->element_type != gguf::ValueType::kString)
      return corrupt_file("tokenizer.ggml.merges is not an array of strings");
    v.merges.reserve(merges->strings.size());
    std::string joined;
    for (size_t rank = 0; rank < merges->strings.size(); ++rank) {
      const std::string& m = merges->strings[rank];
      const size_t space = m.find(' ', 1);
      if (space == std::string::npos)
        return corrupt_file("tokenizer.ggml.merges[" + std::to_string(rank) + "] \"" + m + "\" is not \"left right\"");
      const std::string_view left(m.data(), space);
      const std::string_view right(m.data() + space + 1, m.size() - space - 1);
      joined.assign(left);
      joined.append(right);
      const int32_t l = v.find(left), r = v.find(right), merged = v.find(joined);
      if (l < 0 || r < 0 || merged < 0) continue;  // a merge into nothing the vocabulary has: never applies
      v.merges.emplace(merge_key(l, r), MergeInfo{static_cast<uint32_t>(rank), merged});  // first rank wins
    }
  }
  MOBIQ_ASSIGN_OR_RETURN(v.add_eos, bool_key(meta, p + "add_eos_token", false));
  v.finish();
  return Status::Ok();
}

}  // namespace tokenizer_internal

Result<Tokenizer> Tokenizer::from_gguf_metadata(const gguf::Metadata& metadata) {
  try {
    auto impl = std::make_unique<Impl>();
    MOBIQ_RETURN_IF_ERROR(tokenizer_internal::load_gguf_vocab(metadata, *impl));
    return Tokenizer(std::move(impl));
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kOutOfMemory, "building the tokenizer from GGUF metadata");
  }
}

Result<Tokenizer> Tokenizer::from_gguf(const std::string& path) {
  MOBIQ_ASSIGN_OR_RETURN(gguf::Metadata metadata, gguf::read_metadata(path));
  Result<Tokenizer> tokenizer = from_gguf_metadata(metadata);
  if (!tokenizer.ok()) return tokenizer.status().with_context(path);
  return tokenizer;
}

}  // namespace mobiq
