#include "runtime/tokenizer/documents.h"

#include <vector>

namespace mobiq {

namespace {

constexpr std::string_view kSeparator = "<|doc|>";
constexpr std::string_view kWhiteSpace = " \t\n\r\f\v";

std::string_view strip(std::string_view s) {
  const size_t begin = s.find_first_not_of(kWhiteSpace);
  if (begin == std::string_view::npos) return {};
  const size_t end = s.find_last_not_of(kWhiteSpace);
  return s.substr(begin, end + 1 - begin);
}

}  // namespace

std::string join_documents(std::string_view text) {
  std::vector<std::string_view> documents;
  size_t doc_start = 0;
  size_t line_start = 0;
  while (line_start <= text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    std::string_view line = text.substr(line_start, line_end - line_start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line == kSeparator) {
      documents.push_back(text.substr(doc_start, line_start - doc_start));
      doc_start = line_end + 1 > text.size() ? text.size() : line_end + 1;
    }
    if (line_end == text.size()) break;
    line_start = line_end + 1;
  }
  documents.push_back(text.substr(doc_start));

  std::string joined;
  joined.reserve(text.size());
  for (std::string_view doc : documents) {
    doc = strip(doc);
    if (doc.empty()) continue;
    if (!joined.empty()) joined += "\n\n";
    joined += doc;
  }
  return joined;
}

}  // namespace mobiq
