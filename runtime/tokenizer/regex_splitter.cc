#include "runtime/tokenizer/regex_splitter.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "runtime/tokenizer/unicode.h"

namespace mobiq::tokenizer_internal {

struct RegexSplitter::Code {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Code() {
    if (code) pcre2_code_free(code);
  }
};

namespace {

std::string pcre2_message(int error) {
  PCRE2_UCHAR buffer[256];
  const int n = pcre2_get_error_message(error, buffer, sizeof(buffer));
  if (n < 0) return "PCRE2 error " + std::to_string(error);
  return std::string(reinterpret_cast<const char*>(buffer), static_cast<size_t>(n));
}

struct MatchData {
  pcre2_match_data* data;
  explicit MatchData(const pcre2_code* code) : data(pcre2_match_data_create_from_pattern(code, nullptr)) {}
  ~MatchData() {
    if (data) pcre2_match_data_free(data);
  }
  MatchData(const MatchData&) = delete;
  MatchData& operator=(const MatchData&) = delete;
};

}  // namespace

Result<RegexSplitter> RegexSplitter::compile(const std::string& pattern) {
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  auto code = std::make_shared<Code>();
  code->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                             PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &error, &error_offset, nullptr);
  if (!code->code) {
    return invalid_argument("pre-tokenizer regex does not compile at offset " + std::to_string(error_offset) +
                            ": " + pcre2_message(error) + " (pattern " + pattern + ")");
  }
  // JIT is an optimisation only: platforms without it (or with it disabled) use the interpreter.
  code->jit = pcre2_jit_compile(code->code, PCRE2_JIT_COMPLETE) == 0;
  return RegexSplitter(pattern, std::move(code));
}

Status RegexSplitter::split(std::string_view text, std::vector<std::string_view>& out) const {
  if (text.empty()) return Status::Ok();
  MatchData match(code_->code);
  if (!match.data) return Status(ErrorCode::kOutOfMemory, "creating PCRE2 match data");
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t pos = 0;          // where the next search starts
  size_t emitted = 0;      // end of the text already handed out
  bool use_jit = code_->jit;
  while (pos < text.size()) {
    int rc = pcre2_match(code_->code, subject, text.size(), pos, use_jit ? 0 : PCRE2_NO_JIT, match.data, nullptr);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT && use_jit) {
      use_jit = false;  // the interpreter keeps its backtracking frames on the heap
      continue;
    }
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) return internal_error("pre-tokenizer regex failed: " + pcre2_message(rc));
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match.data);
    const size_t begin = ovector[0];
    const size_t end = ovector[1];
    if (begin > emitted) {
      out.push_back(text.substr(emitted, begin - emitted));  // text no match covered
      emitted = begin;
    }
    if (end == begin) {
      // An empty match (a user pattern could have one): step over one character so the loop ends.
      pos = begin + utf8_char_length(text, begin);
      continue;
    }
    out.push_back(text.substr(begin, end - begin));
    emitted = end;
    pos = end;
  }
  if (emitted < text.size()) out.push_back(text.substr(emitted));
  return Status::Ok();
}

}  // namespace mobiq::tokenizer_internal
