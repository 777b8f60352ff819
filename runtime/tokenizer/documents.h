// The perplexity protocol's text (shared/README.md): documents separated by a line "<|doc|>", each
// stripped of surrounding white space, joined with a blank line ("\n\n"). The protocol then tokenizes
// the result without special tokens and puts one BOS in front.
#pragma once

#include <string>
#include <string_view>

namespace mobiq {

// A separator line is exactly "<|doc|>" (a trailing "\r" is tolerated). Documents that are empty after
// stripping (e.g. before a leading separator) are dropped.
std::string join_documents(std::string_view file_text);

}  // namespace mobiq
