// Tokenizer from Hugging Face tokenizer.json (+ tokenizer_config.json). Supported: model type "BPE"
// (merges as "a b" strings or ["a", "b"] pairs; byte_fallback, fuse_unk, ignore_merges, unk_token), the
// normalizers Sequence / Prepend / Replace (string pattern) / Strip / NFC and NFKC (taken as identity:
// the texts we see are already in that form), the pre-tokenizers Sequence / ByteLevel / Metaspace /
// Split (Isolated) / Digits, and the decoders that matter for text (ByteLevel, Replace "▁"->" ",
// ByteFallback, Fuse, Strip, Metaspace). Anything else is a kUnsupported error, not a silent
// mis-tokenization. Added tokens: "special": true ones are control tokens (matched only with
// parse_special), the others user-defined (always matched).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <new>

#include "runtime/tokenizer/tokenizer_impl.h"
#include "runtime/tokenizer/unicode.h"

namespace mobiq {
namespace tokenizer_internal {

namespace {

using json = nlohmann::json;

constexpr int64_t kMaxVocab = int64_t{1} << 24;  // ids past this are corruption, not a vocabulary

Status bad(const std::string& what) { return corrupt_file("tokenizer.json: " + what); }

// obj[key] as a string, or fallback when absent or null.
Result<std::string> opt_string(const json& obj, const char* key, const std::string& fallback, const char* where) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_string()) return bad(std::string(where) + "." + key + " is not a string");
  return it->get<std::string>();
}

Result<bool> opt_bool(const json& obj, const char* key, bool fallback, const char* where) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) return bad(std::string(where) + "." + key + " is not a bool");
  return it->get<bool>();
}

// A tokenizer_config.json token: "<s>" or {"content": "<s>", ...}; empty when absent or null.
std::string config_token(const json& config, const char* key) {
  const auto it = config.find(key);
  if (it == config.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) {
    const auto c = it->find("content");
    if (c != it->end() && c->is_string()) return c->get<std::string>();
  }
  return {};
}

// A pattern object {"String": "..."} or {"Regex": "..."}.
struct Pattern {
  std::string text;
  bool regex = false;
};
Result<Pattern> read_pattern(const json& step, const char* where) {
  const auto it = step.find("pattern");
  if (it == step.end() || !it->is_object()) return bad(std::string(where) + " has no pattern object");
  if (auto s = it->find("String"); s != it->end() && s->is_string()) return Pattern{s->get<std::string>(), false};
  if (auto r = it->find("Regex"); r != it->end() && r->is_string()) return Pattern{r->get<std::string>(), true};
  return bad(std::string(where) + ".pattern is neither {\"String\": ...} nor {\"Regex\": ...}");
}

std::string regex_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (std::string_view("\\^$.|?*+()[]{}-/#").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

Result<PreTokenizerStep::Prepend> prepend_scheme(const json& step, const char* where) {
  const auto it = step.find("prepend_scheme");
  if (it != step.end() && !it->is_null()) {
    if (!it->is_string()) return bad(std::string(where) + ".prepend_scheme is not a string");
    const std::string s = it->get<std::string>();
    if (s == "always") return PreTokenizerStep::Prepend::kAlways;
    if (s == "first") return PreTokenizerStep::Prepend::kFirst;
    if (s == "never") return PreTokenizerStep::Prepend::kNever;
    return bad(std::string(where) + ".prepend_scheme \"" + s + "\" is not always/first/never");
  }
  MOBIQ_ASSIGN_OR_RETURN(const bool add_prefix_space, opt_bool(step, "add_prefix_space", true, where));
  return add_prefix_space ? PreTokenizerStep::Prepend::kAlways : PreTokenizerStep::Prepend::kNever;
}

Status read_normalizer(const json& n, Vocab& v, int depth) {
  if (n.is_null()) return Status::Ok();
  if (!n.is_object() || depth > 8) return bad("normalizer is not an object");
  MOBIQ_ASSIGN_OR_RETURN(const std::string type, opt_string(n, "type", "", "normalizer"));
  if (type == "Sequence") {
    const auto it = n.find("normalizers");
    if (it == n.end() || !it->is_array()) return bad("normalizer Sequence has no normalizers array");
    for (const json& step : *it) MOBIQ_RETURN_IF_ERROR(read_normalizer(step, v, depth + 1));
    return Status::Ok();
  }
  if (type == "Prepend") {
    MOBIQ_ASSIGN_OR_RETURN(std::string prepend, opt_string(n, "prepend", "", "normalizer Prepend"));
    if (!prepend.empty()) v.normalizer.push_back({NormalizerStep::Kind::kPrepend, std::move(prepend), {}});
    return Status::Ok();
  }
  if (type == "Replace") {
    MOBIQ_ASSIGN_OR_RETURN(Pattern pattern, read_pattern(n, "normalizer Replace"));
    MOBIQ_ASSIGN_OR_RETURN(std::string content, opt_string(n, "content", "", "normalizer Replace"));
    if (pattern.regex) return unsupported("tokenizer.json: normalizer Replace with a regex pattern");
    if (!pattern.text.empty())
      v.normalizer.push_back({NormalizerStep::Kind::kReplace, std::move(pattern.text), std::move(content)});
    return Status::Ok();
  }
  if (type == "Strip") {
    NormalizerStep step{NormalizerStep::Kind::kStrip, {}, {}};
    MOBIQ_ASSIGN_OR_RETURN(step.left, opt_bool(n, "strip_left", true, "normalizer Strip"));
    MOBIQ_ASSIGN_OR_RETURN(step.right, opt_bool(n, "strip_right", true, "normalizer Strip"));
    v.normalizer.push_back(std::move(step));
    return Status::Ok();
  }
  if (type == "NFC" || type == "NFKC") return Status::Ok();  // identity on text already composed
  return unsupported("tokenizer.json: normalizer type \"" + type + "\"");
}

Status read_pre_tokenizer(const json& p, Vocab& v, int depth) {
  if (p.is_null()) return Status::Ok();
  if (!p.is_object() || depth > 8) return bad("pre_tokenizer is not an object");
  MOBIQ_ASSIGN_OR_RETURN(const std::string type, opt_string(p, "type", "", "pre_tokenizer"));
  if (type == "Sequence") {
    const auto it = p.find("pretokenizers");
    if (it == p.end() || !it->is_array()) return bad("pre_tokenizer Sequence has no pretokenizers array");
    for (const json& step : *it) MOBIQ_RETURN_IF_ERROR(read_pre_tokenizer(step, v, depth + 1));
    return Status::Ok();
  }
  if (type == "ByteLevel") {
    PreTokenizerStep step(PreTokenizerStep::Kind::kByteLevel);
    MOBIQ_ASSIGN_OR_RETURN(step.add_prefix_space, opt_bool(p, "add_prefix_space", true, "pre_tokenizer ByteLevel"));
    MOBIQ_ASSIGN_OR_RETURN(const bool use_regex, opt_bool(p, "use_regex", true, "pre_tokenizer ByteLevel"));
    if (use_regex) {
      MOBIQ_ASSIGN_OR_RETURN(RegexSplitter regex, RegexSplitter::compile(kGpt2Pattern));
      step.regex.push_back(std::move(regex));
    }
    v.pre_tokenizer.push_back(std::move(step));
    v.decode_byte_level = true;
    return Status::Ok();
  }
  if (type == "Metaspace") {
    PreTokenizerStep step(PreTokenizerStep::Kind::kMetaspace);
    MOBIQ_ASSIGN_OR_RETURN(step.replacement, opt_string(p, "replacement", std::string(kMetaspace), "pre_tokenizer Metaspace"));
    MOBIQ_ASSIGN_OR_RETURN(step.prepend, prepend_scheme(p, "pre_tokenizer Metaspace"));
    MOBIQ_ASSIGN_OR_RETURN(step.split, opt_bool(p, "split", true, "pre_tokenizer Metaspace"));
    v.pre_tokenizer.push_back(std::move(step));
    return Status::Ok();
  }
  if (type == "Split" || type == "Digits") {
    std::string pattern;
    if (type == "Split") {
      MOBIQ_ASSIGN_OR_RETURN(Pattern pat, read_pattern(p, "pre_tokenizer Split"));
      MOBIQ_ASSIGN_OR_RETURN(const std::string behavior, opt_string(p, "behavior", "Isolated", "pre_tokenizer Split"));
      MOBIQ_ASSIGN_OR_RETURN(const bool invert, opt_bool(p, "invert", false, "pre_tokenizer Split"));
      if (behavior != "Isolated" || invert)
        return unsupported("tokenizer.json: pre_tokenizer Split with behavior " + behavior +
                           (invert ? " (inverted)" : "") + "; only Isolated is supported");
      pattern = pat.regex ? pat.text : regex_escape(pat.text);
    } else {
      MOBIQ_ASSIGN_OR_RETURN(const bool individual, opt_bool(p, "individual_digits", false, "pre_tokenizer Digits"));
      pattern = individual ? R"(\p{N})" : R"(\p{N}+)";
    }
    MOBIQ_ASSIGN_OR_RETURN(RegexSplitter regex, RegexSplitter::compile(pattern));
    PreTokenizerStep step(PreTokenizerStep::Kind::kRegexSplit);
    step.regex.push_back(std::move(regex));
    v.pre_tokenizer.push_back(std::move(step));
    return Status::Ok();
  }
  return unsupported("tokenizer.json: pre_tokenizer type \"" + type + "\"");
}

// Decoders only steer decode(); unknown ones are ignored (decoding stays best effort).
Status read_decoder(const json& d, Vocab& v, int depth) {
  if (d.is_null()) return Status::Ok();
  if (!d.is_object() || depth > 8) return bad("decoder is not an object");
  MOBIQ_ASSIGN_OR_RETURN(const std::string type, opt_string(d, "type", "", "decoder"));
  if (type == "Sequence") {
    const auto it = d.find("decoders");
    if (it == d.end() || !it->is_array()) return bad("decoder Sequence has no decoders array");
    for (const json& step : *it) MOBIQ_RETURN_IF_ERROR(read_decoder(step, v, depth + 1));
  } else if (type == "ByteLevel") {
    v.decode_byte_level = true;
  } else if (type == "Replace") {
    MOBIQ_ASSIGN_OR_RETURN(Pattern pattern, read_pattern(d, "decoder Replace"));
    MOBIQ_ASSIGN_OR_RETURN(const std::string content, opt_string(d, "content", "", "decoder Replace"));
    if (!pattern.regex && pattern.text == kMetaspace && content == " ") v.decode_metaspace = true;
  } else if (type == "Strip") {
    MOBIQ_ASSIGN_OR_RETURN(const std::string content, opt_string(d, "content", " ", "decoder Strip"));
    const auto it = d.find("start");
    if (content == " " && it != d.end() && it->is_number_unsigned()) {
      v.decode_strip_leading = static_cast<int>(std::min<uint64_t>(it->get<uint64_t>(), 16));
    }
  } else if (type == "Metaspace") {
    v.decode_metaspace = true;
    MOBIQ_ASSIGN_OR_RETURN(const PreTokenizerStep::Prepend prepend, prepend_scheme(d, "decoder Metaspace"));
    if (prepend != PreTokenizerStep::Prepend::kNever) v.decode_strip_leading = 1;
  }
  return Status::Ok();
}

// Looks through a post_processor for TemplateProcessing's "single" template: the special tokens it
// puts before and after the sequence.
void template_specials(const json& p, int32_t& first, int32_t& last, int depth = 0) {
  if (!p.is_object() || depth > 8) return;
  const std::string type = p.value("type", "");
  if (type == "Sequence") {
    if (auto it = p.find("processors"); it != p.end() && it->is_array())
      for (const json& q : *it) template_specials(q, first, last, depth + 1);
    return;
  }
  if (type != "TemplateProcessing") return;
  const auto single = p.find("single");
  const auto specials = p.find("special_tokens");
  if (single == p.end() || !single->is_array() || single->empty() || specials == p.end() || !specials->is_object())
    return;
  const auto id_of = [&](const json& piece) -> int32_t {
    if (!piece.is_object()) return -1;
    const auto st = piece.find("SpecialToken");
    if (st == piece.end() || !st->is_object()) return -1;
    const auto name = st->find("id");
    if (name == st->end() || !name->is_string()) return -1;
    const auto entry = specials->find(name->get<std::string>());
    if (entry == specials->end() || !entry->is_object()) return -1;
    const auto ids = entry->find("ids");
    if (ids == entry->end() || !ids->is_array() || ids->empty() || !(*ids)[0].is_number_integer()) return -1;
    const int64_t id = (*ids)[0].get<int64_t>();
    return id >= 0 && id < kMaxVocab ? static_cast<int32_t>(id) : -1;
  };
  first = id_of(single->front());
  last = single->size() > 1 ? id_of(single->back()) : -1;
}

// Adds (or marks) an added token: {"id": 1, "content": "<s>", "special": true}.
Status add_token(Vocab& v, int64_t id, const std::string& content, bool special, const char* where) {
  if (id < 0 || id >= kMaxVocab) return bad(std::string(where) + " id " + std::to_string(id) + " is out of range");
  if (content.empty()) return bad(std::string(where) + " id " + std::to_string(id) + " has empty content");
  const auto i = static_cast<size_t>(id);
  if (i >= v.tokens.size()) {
    v.tokens.resize(i + 1);
    v.attrs.resize(i + 1, TokenAttr::kUndefined);
  }
  v.tokens[i] = content;
  v.attrs[i] = special ? TokenAttr::kControl : TokenAttr::kUserDefined;
  v.token_to_id[content] = static_cast<int32_t>(id);
  return Status::Ok();
}

Status load(const std::string& tokenizer_json, const std::string& config_json, Vocab& v) {
  if (tokenizer_json.empty()) return not_found("tokenizer.json is empty or absent");
  const json t = json::parse(tokenizer_json, nullptr, /*allow_exceptions=*/false);
  if (t.is_discarded()) return bad("not valid JSON");
  if (!t.is_object()) return bad("the top level is not an object");
  json config = json::object();
  if (!config_json.empty()) {
    config = json::parse(config_json, nullptr, false);
    if (config.is_discarded() || !config.is_object())
      return corrupt_file("tokenizer_config.json: not a valid JSON object");
  }

  // ---- model
  const auto model_it = t.find("model");
  if (model_it == t.end() || !model_it->is_object()) return bad("no model object");
  const json& model = *model_it;
  MOBIQ_ASSIGN_OR_RETURN(const std::string type, opt_string(model, "type", "BPE", "model"));
  if (type != "BPE") return unsupported("tokenizer.json: model type \"" + type + "\" (only BPE is supported)");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    MOBIQ_ASSIGN_OR_RETURN(const std::string affix, opt_string(model, key, "", "model"));
    if (!affix.empty()) return unsupported(std::string("tokenizer.json: BPE with a ") + key);
  }
  const auto vocab_it = model.find("vocab");
  if (vocab_it == model.end() || !vocab_it->is_object()) return bad("model.vocab is not an object");
  int64_t max_id = -1;
  for (const auto& [text, id] : vocab_it->items()) {
    if (!id.is_number_integer()) return bad("model.vocab[\"" + text + "\"] is not an integer id");
    const int64_t i = id.get<int64_t>();
    if (i < 0 || i >= kMaxVocab) return bad("model.vocab[\"" + text + "\"] = " + std::to_string(i) + " is out of range");
    max_id = std::max(max_id, i);
  }
  v.tokens.assign(static_cast<size_t>(max_id + 1), std::string());
  v.attrs.assign(v.tokens.size(), TokenAttr::kUndefined);
  v.token_to_id.reserve(vocab_it->size());
  for (const auto& [text, id] : vocab_it->items()) {
    const auto i = static_cast<size_t>(id.get<int64_t>());
    if (v.attrs[i] != TokenAttr::kUndefined) return bad("model.vocab gives id " + std::to_string(i) + " twice");
    v.tokens[i] = text;
    v.attrs[i] = TokenAttr::kNormal;
    v.token_to_id.emplace(text, static_cast<int32_t>(i));
  }

  MOBIQ_ASSIGN_OR_RETURN(v.byte_fallback, opt_bool(model, "byte_fallback", false, "model"));
  MOBIQ_ASSIGN_OR_RETURN(v.fuse_unk, opt_bool(model, "fuse_unk", false, "model"));
  MOBIQ_ASSIGN_OR_RETURN(v.ignore_merges, opt_bool(model, "ignore_merges", false, "model"));
  MOBIQ_ASSIGN_OR_RETURN(const std::string unk_token, opt_string(model, "unk_token", "", "model"));

  const auto merges_it = model.find("merges");
  if (merges_it == model.end() || !merges_it->is_array()) return bad("model.merges is not an array");
  v.merges.reserve(merges_it->size());
  std::string left, right;
  uint32_t rank = 0;
  for (const json& m : *merges_it) {
    if (m.is_string()) {
      const std::string& s = m.get_ref<const std::string&>();
      const size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
        return bad("merge " + std::to_string(rank) + " \"" + s + "\" is not \"left right\"");
      left = s.substr(0, space);
      right = s.substr(space + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      left = m[0].get<std::string>();
      right = m[1].get<std::string>();
    } else {
      return bad("merge " + std::to_string(rank) + " is neither \"a b\" nor [\"a\", \"b\"]");
    }
    const int32_t l = v.find(left), r = v.find(right), merged = v.find(left + right);
    if (l < 0 || r < 0 || merged < 0)
      return bad("merge " + std::to_string(rank) + " (\"" + left + "\", \"" + right + "\") uses a token not in the vocabulary");
    v.merges[merge_key(l, r)] = MergeInfo{rank, merged};  // as tokenizers: a repeated pair takes the later rank
    ++rank;
  }

  // ---- added tokens (tokenizer.json, then tokenizer_config.json's added_tokens_decoder)
  if (const auto added = t.find("added_tokens"); added != t.end() && !added->is_null()) {
    if (!added->is_array()) return bad("added_tokens is not an array");
    for (const json& a : *added) {
      if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || !a.contains("content") ||
          !a["content"].is_string())
        return bad("an added_tokens entry lacks an integer id or a string content");
      MOBIQ_ASSIGN_OR_RETURN(const bool special, opt_bool(a, "special", false, "added_tokens"));
      MOBIQ_RETURN_IF_ERROR(add_token(v, a["id"].get<int64_t>(), a["content"].get<std::string>(), special, "added_tokens"));
    }
  }
  if (const auto added = config.find("added_tokens_decoder"); added != config.end() && added->is_object()) {
    for (const auto& [key, a] : added->items()) {
      int64_t id = -1;
      try {
        size_t used = 0;
        id = std::stoll(key, &used);
        if (used != key.size()) id = -1;
      } catch (const std::exception&) {
        id = -1;
      }
      if (!a.is_object() || !a.contains("content") || !a["content"].is_string())
        return corrupt_file("tokenizer_config.json: added_tokens_decoder[\"" + key + "\"] has no content");
      const bool special = a.value("special", false);
      const std::string content = a["content"].get<std::string>();
      const auto i = static_cast<size_t>(id);
      if (id >= 0 && i < v.tokens.size() && v.tokens[i] == content && v.attrs[i] != TokenAttr::kNormal) continue;
      Status s = add_token(v, id, content, special, "tokenizer_config.json added_tokens_decoder");
      if (!s.ok()) return corrupt_file(s.message());
    }
  }
  if (v.tokens.empty()) return bad("the vocabulary is empty");
  if (v.byte_fallback) {
    for (size_t i = 0; i < v.tokens.size(); ++i) {
      const std::string& s = v.tokens[i];
      if (v.attrs[i] == TokenAttr::kNormal && s.size() == 6 && s.starts_with("<0x") && s.back() == '>' &&
          std::isxdigit(static_cast<unsigned char>(s[3])) && std::isxdigit(static_cast<unsigned char>(s[4])))
        v.attrs[i] = TokenAttr::kByte;
    }
  }
  if (!unk_token.empty()) {
    v.unk = v.find(unk_token);
    if (v.unk < 0) return bad("model.unk_token \"" + unk_token + "\" is not in the vocabulary");
    if (v.attrs[static_cast<size_t>(v.unk)] == TokenAttr::kNormal) v.attrs[static_cast<size_t>(v.unk)] = TokenAttr::kUnknown;
  }

  // ---- normalizer, pre-tokenizer, decoder
  if (const auto it = t.find("normalizer"); it != t.end()) MOBIQ_RETURN_IF_ERROR(read_normalizer(*it, v, 0));
  if (const auto it = t.find("pre_tokenizer"); it != t.end()) MOBIQ_RETURN_IF_ERROR(read_pre_tokenizer(*it, v, 0));
  const auto decoder = t.find("decoder");
  if (decoder != t.end() && !decoder->is_null()) {
    v.decode_byte_level = false;
    MOBIQ_RETURN_IF_ERROR(read_decoder(*decoder, v, 0));
  } else {
    // No decoder: undo what encoding did ("▁" for spaces, the dummy prefix).
    for (const PreTokenizerStep& step : v.pre_tokenizer) {
      if (step.kind == PreTokenizerStep::Kind::kMetaspace && step.replacement == kMetaspace) {
        v.decode_metaspace = true;
        if (step.prepend != PreTokenizerStep::Prepend::kNever) v.decode_strip_leading = 1;
      }
    }
    for (const NormalizerStep& step : v.normalizer) {
      if (step.kind == NormalizerStep::Kind::kReplace && step.a == " " && step.b == kMetaspace) v.decode_metaspace = true;
      if (step.kind == NormalizerStep::Kind::kPrepend && step.a == kMetaspace) v.decode_strip_leading = 1;
    }
  }

  // ---- BOS / EOS: tokenizer_config.json first, then the post-processor's template.
  int32_t template_first = -1, template_last = -1;
  if (const auto it = t.find("post_processor"); it != t.end()) template_specials(*it, template_first, template_last);
  const auto lookup = [&](const std::string& text) { return text.empty() ? -1 : v.find(text); };
  v.bos = lookup(config_token(config, "bos_token"));
  v.eos = lookup(config_token(config, "eos_token"));
  if (v.bos < 0 && template_first >= 0) v.bos = template_first;
  if (v.bos >= static_cast<int32_t>(v.tokens.size())) v.bos = -1;
  if (v.eos >= static_cast<int32_t>(v.tokens.size())) v.eos = -1;
  MOBIQ_ASSIGN_OR_RETURN(v.add_bos, opt_bool(config, "add_bos_token", template_first >= 0 && template_first == v.bos,
                                             "tokenizer_config.json"));
  MOBIQ_ASSIGN_OR_RETURN(v.add_eos, opt_bool(config, "add_eos_token", template_last >= 0 && template_last == v.eos,
                                             "tokenizer_config.json"));
  v.finish();
  return Status::Ok();
}

}  // namespace

Status load_hf_vocab(const std::string& tokenizer_json, const std::string& tokenizer_config_json, Vocab& vocab) {
  try {
    return load(tokenizer_json, tokenizer_config_json, vocab);
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kOutOfMemory, "loading tokenizer.json");
  } catch (const std::exception& e) {  // a JSON type surprise we did not check for
    return corrupt_file(std::string("tokenizer.json: ") + e.what());
  }
}

}  // namespace tokenizer_internal

Result<Tokenizer> Tokenizer::from_hf_json(const std::string& tokenizer_json, const std::string& tokenizer_config_json) {
  auto impl = std::make_unique<Impl>();
  MOBIQ_RETURN_IF_ERROR(tokenizer_internal::load_hf_vocab(tokenizer_json, tokenizer_config_json, *impl));
  return Tokenizer(std::move(impl));
}

}  // namespace mobiq
