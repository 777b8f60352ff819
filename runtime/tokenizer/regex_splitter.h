// Regex pre-tokenization with PCRE2 (UTF + UCP, JIT when available): splits a text into the pieces the
// pattern matches, keeping the text between matches as pieces of its own (Hugging Face's "Isolated"
// split behaviour), so no byte is ever dropped (not even invalid UTF-8, which never matches).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/result.h"

namespace mobiq::tokenizer_internal {

// The pre-tokenizer patterns of the byte-level BPE families (as llama.cpp and Hugging Face use them).
inline constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
inline constexpr const char* kLlama3Pattern =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
inline constexpr const char* kQwen2Pattern =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

class RegexSplitter {
 public:
  static Result<RegexSplitter> compile(const std::string& pattern);

  // Appends the pieces of `text` to `out` (views into `text`); their concatenation is `text`.
  Status split(std::string_view text, std::vector<std::string_view>& out) const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct Code;
  RegexSplitter(std::string pattern, std::shared_ptr<const Code> code)
      : pattern_(std::move(pattern)), code_(std::move(code)) {}
  std::string pattern_;
  std::shared_ptr<const Code> code_;  // immutable after compile; shared by copies and threads
};

}  // namespace mobiq::tokenizer_internal
