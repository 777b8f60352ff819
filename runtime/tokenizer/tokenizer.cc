// Encoding and decoding. The loaders (hf_tokenizer.cc, gguf_tokenizer.cc) fill Tokenizer::Impl.
//
// encode: split off special/added tokens -> per piece of plain text: normalizer steps -> pre-tokenizer
// steps -> one of the two merge algorithms on each pre-token:
//  - kSpmScores (GGUF "llama"): llama.cpp's SentencePiece BPE. Start from UTF-8 characters; repeatedly
//    merge the adjacent pair whose concatenation is a vocabulary entry with the highest score (ties: the
//    leftmost); characters without an entry become <0xAB> byte tokens.
//  - kBpeMerges (Hugging Face BPE, GGUF "gpt2"): start from characters (or their byte-fallback tokens)
//    and repeatedly apply the adjacent merge of lowest rank (ties: the leftmost), as tokenizers' BPE does.
// Both use a priority queue over a linked list of symbols: O(n log n) per pre-token.
#include <algorithm>
#include <new>
#include <queue>

#include "runtime/tokenizer/tokenizer_impl.h"
#include "runtime/tokenizer/unicode.h"

namespace mobiq {

using namespace tokenizer_internal;  // NOLINT: this file implements that namespace's contract

namespace {

// A piece of the input: plain text, or a special token matched in it.
struct Fragment {
  std::string_view text;
  int32_t token = -1;  // >= 0: a special token
  size_t offset = 0;   // where the fragment starts in the input
};

// ---- llama.cpp's SentencePiece merge by score -------------------------------------------------------

class SpmSession {
 public:
  explicit SpmSession(const Vocab& vocab) : vocab_(vocab) {}

  void tokenize(std::string_view text, std::vector<int32_t>& out) {
    symbols_.clear();
    queue_ = {};
    for (size_t offset = 0; offset < text.size();) {
      const size_t n = utf8_char_length(text, offset);
      const int index = static_cast<int>(symbols_.size());
      symbols_.push_back({text.data() + offset, n, index - 1, offset + n == text.size() ? -1 : index + 1});
      offset += n;
    }
    for (int i = 1; i < static_cast<int>(symbols_.size()); ++i) try_add_bigram(i - 1, i);
    while (!queue_.empty()) {
      const Bigram bigram = queue_.top();
      queue_.pop();
      Symbol& left = symbols_[bigram.left];
      Symbol& right = symbols_[bigram.right];
      // Stale: one side already merged into something else.
      if (left.n == 0 || right.n == 0 || left.n + right.n != bigram.size) continue;
      left.n += right.n;
      right.n = 0;
      left.next = right.next;
      if (right.next >= 0) symbols_[right.next].prev = bigram.left;
      try_add_bigram(left.prev, bigram.left);
      try_add_bigram(bigram.left, left.next);
    }
    for (int i = symbols_.empty() ? -1 : 0; i != -1; i = symbols_[i].next) emit(symbols_[i], out);
  }

 private:
  struct Symbol {
    const char* text;
    size_t n;
    int prev, next;
  };
  struct Bigram {
    int left, right;
    float score;
    size_t size;
  };
  struct Lower {  // priority: higher score first, then the leftmost
    bool operator()(const Bigram& l, const Bigram& r) const {
      return l.score < r.score || (l.score == r.score && l.left > r.left);
    }
  };

  void try_add_bigram(int left, int right) {
    if (left == -1 || right == -1) return;
    const std::string_view text(symbols_[left].text, symbols_[left].n + symbols_[right].n);
    const int32_t id = vocab_.find(text);
    if (id < 0) return;
    queue_.push({left, right, vocab_.scores[static_cast<size_t>(id)], text.size()});
  }

  void emit(const Symbol& symbol, std::vector<int32_t>& out) const {
    const std::string_view text(symbol.text, symbol.n);
    if (const int32_t id = vocab_.find(text); id >= 0) {
      out.push_back(id);
      return;
    }
    // Merged symbols are always vocabulary entries, so this is one character the vocabulary lacks.
    for (const char c : text) {
      const auto byte = static_cast<unsigned char>(c);
      int32_t id = vocab_.byte_tokens[byte];
      if (id < 0) id = vocab_.find(std::string_view(&c, 1));
      if (id < 0) id = vocab_.unk;
      if (id >= 0) out.push_back(id);
    }
  }

  const Vocab& vocab_;
  std::vector<Symbol> symbols_;
  std::priority_queue<Bigram, std::vector<Bigram>, Lower> queue_;
};

// ---- BPE by merge rank (Hugging Face tokenizers' Word::merge_all) -----------------------------------

class BpeSession {
 public:
  explicit BpeSession(const Vocab& vocab) : vocab_(vocab) {}

  void tokenize(std::string_view word, std::vector<int32_t>& out) {
    if (word.empty()) return;
    if (vocab_.ignore_merges) {
      if (const int32_t id = vocab_.find(word); id >= 0) {
        out.push_back(id);
        return;
      }
    }
    initial_symbols(word);
    queue_ = {};
    const int n = static_cast<int>(symbols_.size());
    for (int i = 0; i + 1 < n; ++i) try_add(i);
    while (!queue_.empty()) {
      const Candidate top = queue_.top();
      queue_.pop();
      Symbol& left = symbols_[top.pos];
      if (left.id < 0 || left.next < 0) continue;
      Symbol& right = symbols_[left.next];
      // Stale: the pair at this position is no longer the one this entry was made for.
      const auto it = vocab_.merges.find(merge_key(left.id, right.id));
      if (it == vocab_.merges.end() || it->second.merged != top.merged) continue;
      left.id = top.merged;
      right.id = -1;
      left.next = right.next;
      if (left.next >= 0) symbols_[left.next].prev = top.pos;
      if (left.prev >= 0) try_add(left.prev);
      try_add(top.pos);
    }
    for (const Symbol& s : symbols_)
      if (s.id >= 0) out.push_back(s.id);
  }

 private:
  struct Symbol {
    int32_t id;  // -1 once merged into its left neighbour
    int prev, next;
  };
  struct Candidate {
    uint32_t rank;
    int pos;
    int32_t merged;
  };
  struct Lower {  // priority: lowest rank first, then the leftmost
    bool operator()(const Candidate& l, const Candidate& r) const {
      return l.rank > r.rank || (l.rank == r.rank && l.pos > r.pos);
    }
  };

  void push_symbol(int32_t id) {
    const int index = static_cast<int>(symbols_.size());
    symbols_.push_back({id, index - 1, -1});
    if (index > 0) symbols_[index - 1].next = index;
  }

  void initial_symbols(std::string_view word) {
    symbols_.clear();
    int32_t pending_unk = -1;  // an <unk> being fused
    for (size_t offset = 0; offset < word.size();) {
      const size_t n = utf8_char_length(word, offset);
      const std::string_view ch = word.substr(offset, n);
      offset += n;
      if (const int32_t id = vocab_.find(ch); id >= 0) {
        if (pending_unk >= 0) push_symbol(pending_unk), pending_unk = -1;
        push_symbol(id);
        continue;
      }
      if (vocab_.byte_fallback) {
        bool all = true;
        for (const char c : ch) all = all && vocab_.byte_tokens[static_cast<unsigned char>(c)] >= 0;
        if (all) {
          if (pending_unk >= 0) push_symbol(pending_unk), pending_unk = -1;
          for (const char c : ch) push_symbol(vocab_.byte_tokens[static_cast<unsigned char>(c)]);
          continue;
        }
      }
      if (vocab_.unk >= 0) {
        if (pending_unk >= 0 && !vocab_.fuse_unk) push_symbol(pending_unk);
        pending_unk = vocab_.unk;
        continue;
      }
      // No token, no byte token, no <unk>: as llama.cpp does, try the bytes one by one.
      for (const char c : ch)
        if (const int32_t id = vocab_.find(std::string_view(&c, 1)); id >= 0) push_symbol(id);
    }
    if (pending_unk >= 0) push_symbol(pending_unk);
  }

  void try_add(int pos) {
    const Symbol& left = symbols_[pos];
    if (left.next < 0) return;
    const auto it = vocab_.merges.find(merge_key(left.id, symbols_[left.next].id));
    if (it != vocab_.merges.end()) queue_.push({it->second.rank, pos, it->second.merged});
  }

  const Vocab& vocab_;
  std::vector<Symbol> symbols_;
  std::priority_queue<Candidate, std::vector<Candidate>, Lower> queue_;
};

// ---- normalizer and pre-tokenizer -------------------------------------------------------------------

std::string normalize(const std::vector<NormalizerStep>& steps, std::string_view text) {
  std::string s(text);
  for (const NormalizerStep& step : steps) {
    switch (step.kind) {
      case NormalizerStep::Kind::kPrepend:
        if (!s.empty()) s.insert(0, step.a);
        break;
      case NormalizerStep::Kind::kReplace:
        if (!step.a.empty() && s.find(step.a) != std::string::npos) s = replace_all(s, step.a, step.b);
        break;
      case NormalizerStep::Kind::kStrip: {
        const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
        size_t b = 0, e = s.size();
        if (step.left)
          while (b < e && is_space(s[b])) ++b;
        if (step.right)
          while (e > b && is_space(s[e - 1])) --e;
        s = s.substr(b, e - b);
        break;
      }
    }
  }
  return s;
}

Status pre_tokenize(const std::vector<PreTokenizerStep>& steps, std::string text, bool first_fragment,
                    std::vector<std::string>& pieces) {
  pieces.clear();
  pieces.push_back(std::move(text));
  std::vector<std::string> next;
  std::vector<std::string_view> views;
  const auto& byte_map = byte_to_unicode();
  for (const PreTokenizerStep& step : steps) {
    next.clear();
    switch (step.kind) {
      case PreTokenizerStep::Kind::kRegexSplit:
        for (const std::string& piece : pieces) {
          views.clear();
          MOBIQ_RETURN_IF_ERROR(step.regex.front().split(piece, views));
          for (std::string_view v : views) next.emplace_back(v);
        }
        break;
      case PreTokenizerStep::Kind::kByteLevel:
        for (std::string& piece : pieces) {
          if (step.add_prefix_space && !piece.empty() && piece[0] != ' ') piece.insert(piece.begin(), ' ');
          views.clear();
          if (step.regex.empty()) {
            views.emplace_back(piece);
          } else {
            MOBIQ_RETURN_IF_ERROR(step.regex.front().split(piece, views));
          }
          for (std::string_view v : views) {
            std::string mapped;
            mapped.reserve(v.size() * 2);
            for (const char c : v) mapped += byte_map[static_cast<unsigned char>(c)];
            next.push_back(std::move(mapped));
          }
        }
        break;
      case PreTokenizerStep::Kind::kMetaspace:
        for (size_t i = 0; i < pieces.size(); ++i) {
          std::string s = replace_all(pieces[i], " ", step.replacement);
          const bool prepend = step.prepend == PreTokenizerStep::Prepend::kAlways ||
                               (step.prepend == PreTokenizerStep::Prepend::kFirst && first_fragment && i == 0);
          if (prepend && !s.empty() && !std::string_view(s).starts_with(step.replacement)) s.insert(0, step.replacement);
          if (!step.split || step.replacement.empty()) {
            next.push_back(std::move(s));
            continue;
          }
          // Split before every replacement character (tokenizers' MergedWithNext).
          size_t start = 0;
          while (start < s.size()) {
            size_t hit = s.find(step.replacement, start + 1);
            if (hit == std::string::npos) hit = s.size();
            next.push_back(s.substr(start, hit - start));
            start = hit;
          }
        }
        break;
    }
    pieces.swap(next);
  }
  return Status::Ok();
}

}  // namespace

// ---- Impl -------------------------------------------------------------------------------------------

void Vocab::add_to_trie(int32_t id) {
  const std::string& text = tokens[static_cast<size_t>(id)];
  if (text.empty()) return;
  int32_t node = 0;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    auto it = trie[static_cast<size_t>(node)].next.find(byte);
    if (it == trie[static_cast<size_t>(node)].next.end()) {
      trie.push_back(TrieNode{});
      const auto child = static_cast<int32_t>(trie.size() - 1);
      trie[static_cast<size_t>(node)].next.emplace(byte, child);
      node = child;
    } else {
      node = it->second;
    }
  }
  // Two entries with one text: the first id wins.
  if (trie[static_cast<size_t>(node)].token < 0) trie[static_cast<size_t>(node)].token = id;
  trie_first[static_cast<unsigned char>(text[0])] = true;
}

void Vocab::finish() {
  attrs.resize(tokens.size(), TokenAttr::kNormal);
  for (int b = 0; b < 256; ++b) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    const char name[] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
    const int32_t id = find(std::string_view(name, sizeof(name)));
    byte_tokens[static_cast<size_t>(b)] = id;
  }
  split_before_metaspace = !ignore_merges && find(kMetaspace) >= 0;
  for (size_t id = 0; id < tokens.size() && split_before_metaspace; ++id) {
    const std::string& t = tokens[id];
    for (size_t hit = t.find(kMetaspace, 1); hit != std::string::npos; hit = t.find(kMetaspace, hit + 1)) {
      if (hit < kMetaspace.size() || t.compare(hit - kMetaspace.size(), kMetaspace.size(), kMetaspace) != 0) {
        split_before_metaspace = false;
        break;
      }
    }
  }
  trie.assign(1, TrieNode{});
  trie_first.fill(false);
  for (size_t id = 0; id < tokens.size(); ++id) {
    const TokenAttr a = attrs[id];
    if (a == TokenAttr::kControl || a == TokenAttr::kUserDefined || a == TokenAttr::kUnknown)
      add_to_trie(static_cast<int32_t>(id));
  }
}

// ---- Tokenizer --------------------------------------------------------------------------------------

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

int32_t Tokenizer::vocab_size() const { return static_cast<int32_t>(impl_->tokens.size()); }
int32_t Tokenizer::bos_id() const { return impl_->bos; }
int32_t Tokenizer::eos_id() const { return impl_->eos; }
bool Tokenizer::adds_bos() const { return impl_->add_bos && impl_->bos >= 0; }

bool Tokenizer::is_special(int32_t id) const {
  if (id < 0 || id >= vocab_size()) return false;
  const TokenAttr a = impl_->attr(id);
  return a == TokenAttr::kControl || a == TokenAttr::kUnknown;
}

std::string Tokenizer::token_text(int32_t id) const {
  if (id < 0 || id >= vocab_size()) return {};
  return impl_->tokens[static_cast<size_t>(id)];
}

int32_t Tokenizer::token_id(std::string_view text) const { return impl_->find(text); }

Result<std::vector<int32_t>> Tokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  try {
    const Impl& v = *impl_;
    std::vector<int32_t> out;
    out.reserve(text.size() / 3 + 2);
    if (options.add_bos && v.add_bos && v.bos >= 0) out.push_back(v.bos);

    // 1. Special and added tokens, longest match first at each position.
    std::vector<Fragment> fragments;
    size_t start = 0;
    for (size_t i = 0; i < text.size();) {
      if (!v.trie_first[static_cast<unsigned char>(text[i])]) {
        ++i;
        continue;
      }
      int32_t best = -1;
      size_t best_len = 0;
      int32_t node = 0;
      for (size_t j = i; j < text.size(); ++j) {
        const auto& next = v.trie[static_cast<size_t>(node)].next;
        const auto it = next.find(static_cast<unsigned char>(text[j]));
        if (it == next.end()) break;
        node = it->second;
        const int32_t id = v.trie[static_cast<size_t>(node)].token;
        if (id >= 0 && (options.parse_special || v.attr(id) == TokenAttr::kUserDefined)) {
          best = id;
          best_len = j + 1 - i;
        }
      }
      if (best < 0) {
        ++i;
        continue;
      }
      if (i > start) fragments.push_back({text.substr(start, i - start), -1, start});
      fragments.push_back({{}, best, i});
      i += best_len;
      start = i;
    }
    if (start < text.size()) fragments.push_back({text.substr(start), -1, start});

    // 2. Plain text: normalize, pre-tokenize, merge each word (once per distinct word).
    SpmSession spm(v);
    BpeSession bpe(v);
    // word -> [begin, end) of its ids in `words`
    std::unordered_map<std::string, std::pair<uint32_t, uint32_t>, StringHash, std::equal_to<>> cache;
    std::vector<int32_t> words;
    std::vector<std::string> pieces;
    const auto merge_word = [&](std::string_view word) {
      if (word.empty()) return;
      if (const auto it = cache.find(word); it != cache.end()) {
        out.insert(out.end(), words.begin() + it->second.first, words.begin() + it->second.second);
        return;
      }
      // Only short words are cached (long ones rarely repeat).
      const bool cached = word.size() <= 64;
      std::vector<int32_t>& dst = cached ? words : out;
      const auto begin = static_cast<uint32_t>(dst.size());
      if (v.algorithm == Vocab::Algorithm::kSpmScores) {
        spm.tokenize(word, dst);
      } else {
        bpe.tokenize(word, dst);
      }
      if (!cached) return;
      out.insert(out.end(), words.begin() + begin, words.end());
      cache.emplace(std::string(word), std::make_pair(begin, static_cast<uint32_t>(words.size())));
    };
    for (const Fragment& f : fragments) {
      if (f.token >= 0) {
        out.push_back(f.token);
        continue;
      }
      std::string normalized = normalize(v.normalizer, f.text);
      MOBIQ_RETURN_IF_ERROR(pre_tokenize(v.pre_tokenizer, std::move(normalized), f.offset == 0, pieces));
      for (const std::string& piece : pieces) {
        if (!v.split_before_metaspace) {
          merge_word(piece);
          continue;
        }
        // Cut before each "▁" that follows another character (exact: see split_before_metaspace).
        const std::string_view p(piece);
        size_t start = 0;
        for (size_t hit = p.find(kMetaspace, 1); hit != std::string_view::npos; hit = p.find(kMetaspace, hit + 1)) {
          if (hit >= kMetaspace.size() && p.substr(hit - kMetaspace.size(), kMetaspace.size()) == kMetaspace)
            continue;  // "▁▁": runs of "▁" stay together
          merge_word(p.substr(start, hit - start));
          start = hit;
        }
        merge_word(p.substr(start));
      }
    }
    if (options.add_bos && v.add_eos && v.eos >= 0) out.push_back(v.eos);
    return out;
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kOutOfMemory, "encoding " + std::to_string(text.size()) + " bytes of text");
  }
}

std::string Tokenizer::token_to_piece(int32_t id) const {
  if (id < 0 || id >= vocab_size()) return {};
  const Impl& v = *impl_;
  const std::string& text = v.tokens[static_cast<size_t>(id)];
  switch (v.attr(id)) {
    case TokenAttr::kControl:
    case TokenAttr::kUnused:
    case TokenAttr::kUndefined:
      return {};
    case TokenAttr::kByte: {
      // "<0xAB>"
      if (text.size() == 6) {
        unsigned value = 0;
        bool ok = true;
        for (size_t i = 3; i < 5; ++i) {
          const char c = text[i];
          value <<= 4;
          if (c >= '0' && c <= '9') value |= static_cast<unsigned>(c - '0');
          else if (c >= 'A' && c <= 'F') value |= static_cast<unsigned>(c - 'A' + 10);
          else if (c >= 'a' && c <= 'f') value |= static_cast<unsigned>(c - 'a' + 10);
          else ok = false;
        }
        if (ok) return std::string(1, static_cast<char>(value));
      }
      return text;
    }
    case TokenAttr::kUnknown:
      return text;
    case TokenAttr::kUserDefined:
      if (v.decode_byte_level) return text;
      break;
    case TokenAttr::kNormal:
      break;
  }
  if (v.decode_byte_level) {
    std::string out;
    out.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
      const size_t begin = pos;
      const uint32_t cp = next_code_point(text, pos);
      const int byte = unicode_to_byte(cp);
      if (byte >= 0) {
        out.push_back(static_cast<char>(byte));
      } else {
        out.append(text, begin, pos - begin);  // not a mapped byte: keep the character
      }
    }
    return out;
  }
  if (v.decode_metaspace) return replace_all(text, kMetaspace, " ");
  return text;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (const int32_t id : ids) out += token_to_piece(id);
  int strip = impl_->decode_strip_leading;
  size_t begin = 0;
  while (strip-- > 0 && begin < out.size() && out[begin] == ' ') ++begin;
  if (begin > 0) out.erase(0, begin);
  return out;
}

}  // namespace mobiq
